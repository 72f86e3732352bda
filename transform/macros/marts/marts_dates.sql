{#- Date helpers of the marts (both warehouses); the as-of date is the project's as_of_date(). -#}

{#- Whole calendar months from the month of `start_date` to the month of `end_date`. -#}
{% macro marts_months_between(start_date, end_date) -%}
    cast(
        (extract(year from {{ end_date }}) - extract(year from {{ start_date }})) * 12
        + extract(month from {{ end_date }}) - extract(month from {{ start_date }})
        as integer
    )
{%- endmacro %}


{#- First day of the month `months` months before the month of `day` (a date). -#}
{% macro marts_month_start_minus(day, months) -%}
    cast({{ trunc_date('month', day) }} - interval '{{ months }} month' as date)
{%- endmacro %}


{#- Whole seconds from timestamp `start_ts` to timestamp `end_ts` (exact, as bigint). -#}
{% macro marts_seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('marts_seconds_between', 'ecommerce')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__marts_seconds_between(start_ts, end_ts) -%}
    cast(extract(epoch from (({{ end_ts }}) - ({{ start_ts }}))) as bigint)
{%- endmacro %}

{% macro duckdb__marts_seconds_between(start_ts, end_ts) -%}
    date_diff('second', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}
