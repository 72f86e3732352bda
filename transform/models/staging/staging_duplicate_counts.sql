{#- Grain: one row per raw table. Every raw row is a staging row (one per key and updated_at),
    an exact duplicate (identical in every contract column to another raw row of the version) or
    a conflicting copy (same key and updated_at, other content). Only the versions with more than
    one raw row are compared column by column. A view: always current, computed when read. -#}
with

{% for table, key in [
    ('customers', 'customer_id'),
    ('products', 'product_id'),
    ('orders', 'order_id'),
    ('order_items', 'order_item_id'),
] %}
{{ table }}_versions as materialized (
    select
        {{ clean_text(key) }} as record_key,
        updated_at,
        count(*) as copies
    from {{ source('raw', table) }}
    group by {{ clean_text(key) }}, updated_at
),

{{ table }}_duplicated_contents as (
    select count(*) as distinct_contents
    from (
        select distinct
            {%- for column in contract_columns(table) %}
            raw_rows.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ source('raw', table) }} as raw_rows
        inner join {{ table }}_versions as duplicated_versions
            on {{ clean_text('raw_rows.' ~ key) }} = duplicated_versions.record_key
            and raw_rows.updated_at = duplicated_versions.updated_at
        where duplicated_versions.copies > 1
    ) as contents
),

{{ table }}_counts as (
    select
        '{{ table }}' as table_name,
        (select count(*) from {{ source('raw', table) }}) as raw_rows,
        {#- Counted in the staging view itself, so assert_raw_rows_reconcile_with_staging checks
            that staging keeps exactly one row per raw version: the duplicate columns below
            come from the raw rows' own grouping. #}
        (select count(*) from {{ ref('stg_' ~ table) }}) as staging_rows,
        coalesce(sum(case when copies > 1 then copies else 0 end), 0)
            as rows_of_duplicated_versions,
        coalesce(sum(case when copies > 1 then 1 else 0 end), 0) as duplicated_versions,
        (select distinct_contents from {{ table }}_duplicated_contents) as distinct_contents
    from {{ table }}_versions
),

{% endfor %}
unioned as (
    select * from customers_counts
    union all
    select * from products_counts
    union all
    select * from orders_counts
    union all
    select * from order_items_counts
),

final as (
    select
        table_name,
        cast(raw_rows as bigint) as raw_rows,
        cast(staging_rows as bigint) as staging_rows,
        cast(rows_of_duplicated_versions - distinct_contents as bigint) as exact_duplicate_rows,
        cast(distinct_contents - duplicated_versions as bigint) as conflicting_version_rows
    from unioned
)

select * from final
