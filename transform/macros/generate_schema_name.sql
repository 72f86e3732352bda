{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Schemas are exactly the folder's schema (staging, warehouse, marts, snapshots), never
        prefixed with the target schema: both targets use the same names. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
