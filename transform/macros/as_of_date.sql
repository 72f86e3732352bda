{% macro as_of_date() -%}
    {#- The run's logical date as a SQL date expression: var('as_of_date') when given, else the day
        after the last order date in fact_orders (computed in SQL, never the wall clock). -#}
    {%- set given = var('as_of_date', none) -%}
    {%- if given -%}
        {{ date_literal(given) }}
    {%- else -%}
        (select {{ add_days('max(order_date)', 1) }} from {{ ref('fact_orders') }})
    {%- endif -%}
{%- endmacro %}
