{% macro scd2_versions(relation, key, tracked_columns, type1_columns, created_column) -%}
    {#- SCD2 rows from a version history (one row per key and updated_at):
        - consecutive versions whose tracked columns did not change collapse into one (gaps and
          islands), so a change of an untracked column (stock, birth date) adds no dim row;
        - valid_from = the version's updated_at; the first version starts at least(created_at,
          updated_at), so an order placed right after signup/listing finds it;
        - valid_to = the next version's valid_from, '9999-12-31' for the current one;
        - type-1 columns (type1_columns) take the key's latest value on every row.
        Returns a SELECT with the key, the tracked and type-1 columns, version_number,
        valid_from, valid_to, is_current. -#}
    with

    versions as (
        select
            {{ key }},
            {{ (tracked_columns + type1_columns) | join(',\n            ') }},
            {{ created_column }} as created_at_of_version,
            updated_at,
            {{ hash_values(tracked_columns) }} as tracked_hash
        from {{ relation }}
        where dbt_valid_to is null
    ),

    versions_with_previous as (
        select
            versions.*,
            lag(tracked_hash) over (
                partition by {{ key }} order by updated_at
            ) as previous_tracked_hash,
            row_number() over (
                partition by {{ key }} order by updated_at desc
            ) as recency_rank
        from versions
    ),

    latest_type1 as (
        select
            {{ key }},
            {{ type1_columns | join(',\n            ') }}
        from versions_with_previous
        where recency_rank = 1
    ),

    changes as (
        select *
        from versions_with_previous
        where previous_tracked_hash is null or previous_tracked_hash <> tracked_hash
    ),

    numbered as (
        select
            changes.*,
            row_number() over (partition by {{ key }} order by updated_at) as version_number
        from changes
    ),

    validity as (
        select
            numbered.*,
            case
                when version_number = 1 then least(created_at_of_version, updated_at)
                else updated_at
            end as valid_from
        from numbered
    )

    select
        validity.{{ key }},
        {%- for column in tracked_columns %}
        validity.{{ column }},
        {%- endfor %}
        {%- for column in type1_columns %}
        latest_type1.{{ column }},
        {%- endfor %}
        validity.version_number,
        validity.valid_from,
        coalesce(
            lead(validity.valid_from) over (
                partition by validity.{{ key }} order by validity.valid_from
            ),
            {{ far_future() }}
        ) as valid_to,
        lead(validity.valid_from) over (
            partition by validity.{{ key }} order by validity.valid_from
        ) is null as is_current
    from validity
    inner join latest_type1
        on validity.{{ key }} = latest_type1.{{ key }}
{%- endmacro %}
