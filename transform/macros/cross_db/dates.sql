{#- Date and timestamp arithmetic that differs between DuckDB and PostgreSQL. -#}

{% macro add_days(expression, days) -%}
    {#- A date (or timestamp) plus a whole number of days; a date stays a date. -#}
    {{ return(adapter.dispatch('add_days', 'ecommerce')(expression, days)) }}
{%- endmacro %}

{% macro default__add_days(expression, days) -%}
    ({{ expression }} + cast({{ days }} as integer))
{%- endmacro %}

{% macro add_interval_days(expression, days) -%}
    {#- A timestamp plus a number of days, as a timestamp. -#}
    {{ return(adapter.dispatch('add_interval_days', 'ecommerce')(expression, days)) }}
{%- endmacro %}

{% macro default__add_interval_days(expression, days) -%}
    ({{ expression }} + cast({{ days }} as integer) * interval '1 day')
{%- endmacro %}

{% macro duckdb__add_interval_days(expression, days) -%}
    ({{ expression }} + to_days(cast({{ days }} as integer)))
{%- endmacro %}

{% macro trunc_date(part, expression) -%}
    {#- First day of the day/week (Monday)/month/quarter/year of a date or timestamp, as a date. -#}
    {{ return(adapter.dispatch('trunc_date', 'ecommerce')(part, expression)) }}
{%- endmacro %}

{% macro default__trunc_date(part, expression) -%}
    cast(date_trunc('{{ part }}', cast({{ expression }} as timestamp)) as date)
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {#- Whole calendar days from start_date to end_date (dates or timestamps; later = positive). -#}
    {{ return(adapter.dispatch('days_between', 'ecommerce')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro hours_between(start_ts, end_ts) -%}
    {#- Elapsed hours from start_ts to end_ts as a double (null when either is null). -#}
    {{ return(adapter.dispatch('hours_between', 'ecommerce')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__hours_between(start_ts, end_ts) -%}
    (cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as double precision) / 3600.0)
{%- endmacro %}

{% macro duckdb__hours_between(start_ts, end_ts) -%}
    (cast(epoch({{ end_ts }}) - epoch({{ start_ts }}) as double) / 3600.0)
{%- endmacro %}

{% macro timestamp_to_text(expression) -%}
    {#- 'YYYY-MM-DD HH:MM:SS.ffffff': the same text on both warehouses (used in hashes). -#}
    {{ return(adapter.dispatch('timestamp_to_text', 'ecommerce')(expression)) }}
{%- endmacro %}

{% macro default__timestamp_to_text(expression) -%}
    to_char({{ expression }}, 'YYYY-MM-DD HH24:MI:SS.US')
{%- endmacro %}

{% macro duckdb__timestamp_to_text(expression) -%}
    strftime({{ expression }}, '%Y-%m-%d %H:%M:%S.%f')
{%- endmacro %}

{% macro iso_day_of_week(expression) -%}
    {#- 1 = Monday .. 7 = Sunday. -#}
    {{ return(adapter.dispatch('iso_day_of_week', 'ecommerce')(expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(expression) -%}
    cast(extract(isodow from {{ expression }}) as integer)
{%- endmacro %}

{% macro day_name(expression) -%}
    {#- English day name: Monday .. Sunday. -#}
    {{ return(adapter.dispatch('day_name', 'ecommerce')(expression)) }}
{%- endmacro %}

{% macro default__day_name(expression) -%}
    trim(to_char({{ expression }}, 'FMDay'))
{%- endmacro %}

{% macro duckdb__day_name(expression) -%}
    dayname({{ expression }})
{%- endmacro %}

{% macro date_spine_from(start_date, end_date) -%}
    {#- A FROM-clause item yielding one row per day (column date_day) from start_date to end_date
        inclusive; the bounds may reference columns of a preceding FROM item (lateral). -#}
    {{ return(adapter.dispatch('date_spine_from', 'ecommerce')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine_from(start_date, end_date) -%}
    lateral (
        select cast(series_day as date) as date_day
        from generate_series(
            cast({{ start_date }} as timestamp),
            cast({{ end_date }} as timestamp),
            interval '1 day'
        ) as series(series_day)
    ) as spine
{%- endmacro %}

{% macro duckdb__date_spine_from(start_date, end_date) -%}
    lateral (
        select cast(unnest(generate_series(
            cast({{ start_date }} as timestamp),
            cast({{ end_date }} as timestamp),
            interval '1 day'
        )) as date) as date_day
    ) as spine
{%- endmacro %}

{% macro timestamp_literal(value) -%}
    {#- A timestamp literal from a Python datetime/date or an ISO string. -#}
    cast('{{ value }}' as timestamp)
{%- endmacro %}

{% macro date_literal(value) -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{% macro far_future() -%}
    {#- valid_to of current SCD2 versions: between-joins need no null handling. -#}
    cast('9999-12-31 00:00:00' as timestamp)
{%- endmacro %}
