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


{#- The latest version of every key of a raw table (highest updated_at; among copies of that
    version, the one of the first landing file and line, the copy staging keeps: see
    deduplicated_versions), as `select <key> as <key_name>, <column expressions>`. Used by the
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
    order by {{ key_expression }}, updated_at desc, _source_file, _source_line, _loaded_at
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
            arg_min(
                struct_pack(
                    {%- for name, expression in columns.items() %}
                    {{ name }} := {{ expression }}{{ ',' if not loop.last }}
                    {%- endfor %}
                ),
                {#- Newest version first (negated epoch), then the first file and line. #}
                struct_pack(
                    newest_first := -epoch_us(updated_at),
                    source_file := _source_file,
                    source_line := _source_line,
                    loaded_at := _loaded_at
                )
            ) as latest
        from {{ relation }}
        group by {{ key_expression }}
    ) as versions
{%- endmacro %}
