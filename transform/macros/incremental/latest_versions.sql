{% macro select_latest_versions(relation, key) -%}
    {#- The latest version (highest updated_at) of every key of a staging version relation
        (unique per key and updated_at, so there are no ties). -#}
    {{ return(adapter.dispatch('select_latest_versions', 'ecommerce')(relation, key)) }}
{%- endmacro %}

{% macro default__select_latest_versions(relation, key) -%}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by versions.{{ key }}
                order by versions.updated_at desc
            ) as version_rank
        from {{ relation }} as versions
    ) as ranked_versions
    where version_rank = 1
{%- endmacro %}

{% macro postgres__select_latest_versions(relation, key) -%}
    select distinct on (versions.{{ key }}) versions.*
    from {{ relation }} as versions
    order by versions.{{ key }}, versions.updated_at desc
{%- endmacro %}
