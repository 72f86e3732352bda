{% macro deduplicated_versions(relation, key, columns) -%}
    {#- One row per version (key, updated_at) of a cleaned raw relation: exact duplicates collapse
        into one, and a conflicting copy of a version (same key and updated_at, other content;
        counted in staging_duplicate_counts) loses to the copy from the first landing file and
        line, so the result never depends on the load order. The relation holds the columns
        (in output order, key and updated_at among them), _source_file, _source_line and
        _loaded_at; the result has the columns plus _source_file and _loaded_at of the kept copy.
        Filters on the key and updated_at reach the table scan on both warehouses. Make it the
        model's last SELECT: PostgreSQL then keeps its sort order for the latest-version
        selection of the models above (a view ending in a CTE reference loses it). -#}
    {{ return(adapter.dispatch('deduplicated_versions', 'ecommerce')(relation, key, columns)) }}
{%- endmacro %}

{% macro default__deduplicated_versions(relation, key, columns) -%}
    {#- PostgreSQL: DISTINCT ON, one sort, reused by select_latest_versions above it. -#}
    select distinct on ({{ key }}, updated_at)
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        _source_file,
        _loaded_at
    from {{ relation }}
    order by {{ key }}, updated_at desc, _source_file, _source_line, _loaded_at
{%- endmacro %}

{% macro duckdb__deduplicated_versions(relation, key, columns) -%}
    {#- DuckDB: row_number() = 1 per version, which it runs as a hash aggregate (DISTINCT ON
        would not let filters through). -#}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        _source_file,
        _loaded_at
    from (
        select
            copies.*,
            row_number() over (
                partition by copies.{{ key }}, copies.updated_at
                order by copies._source_file, copies._source_line, copies._loaded_at
            ) as copy_number
        from {{ relation }} as copies
    ) as numbered_copies
    where copy_number = 1
{%- endmacro %}
