{#- Generic data tests of the marts. -#}

{% test marts_accepted_contract_values_or_unknown(model, column_name, enum) %}
    {#- Values outside the contract enum '<table>.<column>' other than 'unknown' (the marts' label
        for a value the source did not have). -#}
    select {{ column_name }}, count(*) as row_count
    from {{ model }}
    where {{ column_name }} <> 'unknown'
        and {{ column_name }} not in (
            {%- for value in contract_enum(enum) %}
            '{{ value }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    group by {{ column_name }}
{% endtest %}


{#- The latest version of every key of a raw table (highest updated_at, then the later landing
    file and line), as `select <key> as <key_name>, <column expressions>`. Used by the
    reconciliation tests to recompute from the raw layer independently of staging. -#}
{% macro marts_latest_raw_versions(relation, key_name, key_expression, columns) -%}
    {{ return(adapter.dispatch('marts_latest_raw_versions', 'ecommerce')(
        relation, key_name, key_expression, columns)) }}
{%- endmacro %}

{% macro default__marts_latest_raw_versions(relation, key_name, key_expression, columns) -%}
    select distinct on ({{ key_expression }})
        {{ key_expression }} as {{ key_name }},
        {%- for name, expression in columns.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    order by {{ key_expression }}, updated_at desc, _source_file desc, _source_line desc
{%- endmacro %}

{% macro duckdb__marts_latest_raw_versions(relation, key_name, key_expression, columns) -%}
    select
        {{ key_name }},
        {%- for name in columns %}
        latest.{{ name }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ key_expression }} as {{ key_name }},
            arg_max(
                struct_pack(
                    {%- for name, expression in columns.items() %}
                    {{ name }} := {{ expression }}{{ ',' if not loop.last }}
                    {%- endfor %}
                ),
                struct_pack(
                    updated_at := updated_at,
                    source_file := _source_file,
                    source_line := _source_line
                )
            ) as latest
        from {{ relation }}
        group by {{ key_expression }}
    ) as versions
{%- endmacro %}
