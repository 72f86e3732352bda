{#- Text cleaning, regex and hashing that differ between DuckDB and PostgreSQL. -#}

{% macro clean_text(column) -%}
    {#- Trimmed text; empty -> null. -#}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{% macro clean_lower(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{% macro clean_upper(column) -%}
    nullif(upper(trim({{ column }})), '')
{%- endmacro %}

{% macro regex_matches(expression, pattern) -%}
    {#- True when the text matches the regex; null for null text. -#}
    {{ return(adapter.dispatch('regex_matches', 'ecommerce')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro to_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro md5_hash(expression) -%}
    {#- Lower-case hex md5 of a text expression (same value on both warehouses). -#}
    {{ return(adapter.dispatch('md5_hash', 'ecommerce')(expression)) }}
{%- endmacro %}

{% macro default__md5_hash(expression) -%}
    md5({{ expression }})
{%- endmacro %}

{% macro hash_values(expressions) -%}
    {#- md5 of the '|'-joined text of the expressions (nulls as '\N'). Pass timestamps through
        timestamp_to_text() first so the text is the same on both warehouses. -#}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(" ~ to_text(expression) ~ ", '\\N')") -%}
    {%- endfor -%}
    {{ md5_hash(parts | join(" || '|' || ")) }}
{%- endmacro %}

{% macro md5_to_bigint(md5_hex) -%}
    {#- The first 15 hex digits (60 bits) of an md5 as a non-negative bigint: the same number on
        both warehouses, and far cheaper to store and join than the 32-character text. -#}
    {{ return(adapter.dispatch('md5_to_bigint', 'ecommerce')(md5_hex)) }}
{%- endmacro %}

{% macro default__md5_to_bigint(md5_hex) -%}
    cast(cast('x' || substr({{ md5_hex }}, 1, 15) as bit(60)) as bigint)
{%- endmacro %}

{% macro duckdb__md5_to_bigint(md5_hex) -%}
    cast('0x' || substr({{ md5_hex }}, 1, 15) as bigint)
{%- endmacro %}

{% macro surrogate_key(key_column, valid_from_column) -%}
    {#- Deterministic surrogate key of an SCD2 version: md5 of the business key and valid_from,
        as a bigint (md5_to_bigint). Collisions are tested for (unique test on the dim). -#}
    {{ md5_to_bigint(hash_values([key_column, timestamp_to_text(valid_from_column)])) }}
{%- endmacro %}

{% macro ordered_string_agg(expression, separator) -%}
    {#- Distinct values joined in sorted order. -#}
    {{ return(adapter.dispatch('ordered_string_agg', 'ecommerce')(expression, separator)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator) -%}
    string_agg(distinct {{ expression }}, '{{ separator }}' order by {{ expression }})
{%- endmacro %}
