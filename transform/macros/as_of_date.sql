{% macro as_of_date() -%}
    {#- The run's logical date as a SQL date expression: var('as_of_date') or the environment
        variable ECOM_DBT_AS_OF_DATE when given, else the day after the last order date in
        fact_orders (computed in SQL, never the wall clock). `ecom transform` and the DAG pass the
        date in the environment: a var that changes from one run to the next makes dbt re-parse
        the whole project (seconds per run), a changed environment variable only the files that
        read it.
        Unit tests pin their own date with var('unit_test_as_of_date') (a date, or 'derived' for
        the computed default), which no run sets: dbt gives `--vars` on the command line
        precedence over a unit test's `overrides: vars`, so a unit test overriding as_of_date
        itself would see the run's date instead. -#}
    {%- set pinned = var('unit_test_as_of_date', none) -%}
    {%- set given = none if pinned == 'derived' else (
        pinned or var('as_of_date', none) or env_var('ECOM_DBT_AS_OF_DATE', '')) -%}
    {%- if given -%}
        {{ date_literal(given) }}
    {%- else -%}
        (select {{ add_days('max(order_date)', 1) }} from {{ ref('fact_orders') }})
    {%- endif -%}
{%- endmacro %}
