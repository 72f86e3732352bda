{#- Every order and order line of the raw data is in its fact or in orphan_records: the distinct
    keys of the raw data = fact rows + orphaned keys, no key is in both, and every orphan exists
    in the raw data. Counts and small joins only (orphans are few). Returns the mismatches. -#}
with

raw_keys as (
    select
        source_table as table_name,
        count(distinct record_id) as raw_records
    from {{ ref('stg_change_feed') }}
    where source_table in ('orders', 'order_items')
    group by source_table
),

orphan_keys as (
    select distinct table_name, record_id
    from {{ ref('orphan_records') }}
),

orphan_counts as (
    select table_name, count(*) as orphaned_records
    from orphan_keys
    group by table_name
),

fact_counts as (
    select 'orders' as table_name, count(*) as fact_records from {{ ref('fact_orders') }}
    union all
    select 'order_items', count(*) from {{ ref('fact_order_items') }}
),

orphans_in_facts as (
    select orphan_keys.table_name, count(*) as orphans_in_facts
    from orphan_keys
    left join {{ ref('fact_orders') }} as fact_orders
        on orphan_keys.table_name = 'orders' and orphan_keys.record_id = fact_orders.order_id
    left join {{ ref('fact_order_items') }} as fact_items
        on orphan_keys.table_name = 'order_items'
        and orphan_keys.record_id = fact_items.order_item_id
    where fact_orders.order_id is not null or fact_items.order_item_id is not null
    group by orphan_keys.table_name
),

orphans_unknown_to_raw as (
    select orphan_keys.table_name, count(*) as orphans_unknown_to_raw
    from orphan_keys
    left join (
        select distinct source_table, record_id
        from {{ ref('stg_change_feed') }}
        where record_id in (select record_id from orphan_keys)
    ) as raw_records
        on orphan_keys.table_name = raw_records.source_table
        and orphan_keys.record_id = raw_records.record_id
    where raw_records.record_id is null
    group by orphan_keys.table_name
),

final as (
    select
        raw_keys.table_name,
        raw_keys.raw_records,
        coalesce(fact_counts.fact_records, 0) as fact_records,
        coalesce(orphan_counts.orphaned_records, 0) as orphaned_records,
        coalesce(orphans_in_facts.orphans_in_facts, 0) as orphans_in_facts,
        coalesce(orphans_unknown_to_raw.orphans_unknown_to_raw, 0) as orphans_unknown_to_raw
    from raw_keys
    left join fact_counts on raw_keys.table_name = fact_counts.table_name
    left join orphan_counts on raw_keys.table_name = orphan_counts.table_name
    left join orphans_in_facts on raw_keys.table_name = orphans_in_facts.table_name
    left join orphans_unknown_to_raw on raw_keys.table_name = orphans_unknown_to_raw.table_name
    where raw_keys.raw_records
            <> coalesce(fact_counts.fact_records, 0) + coalesce(orphan_counts.orphaned_records, 0)
        or coalesce(orphans_in_facts.orphans_in_facts, 0) > 0
        or coalesce(orphans_unknown_to_raw.orphans_unknown_to_raw, 0) > 0
)

select * from final
