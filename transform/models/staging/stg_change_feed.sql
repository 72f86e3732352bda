{#- The change feed of the incremental models: one row per raw row of orders, order_items and
    products (keys and references cleaned as in staging, updated_at, _loaded_at; no
    deduplication, no aggregation), so filters on updated_at / _loaded_at / order_ts reach the
    table scans. orphan_records also finds unresolved references here. -#}
with

order_rows as (
    select
        'orders' as source_table,
        {{ clean_text('order_id') }} as record_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        order_ts,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from {{ source('raw', 'orders') }}
),

order_item_rows as (
    select
        'order_items' as source_table,
        {{ clean_text('order_item_id') }} as record_id,
        {{ clean_text('order_id') }} as order_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        {{ clean_text('product_id') }} as product_id,
        cast(null as timestamp) as order_ts,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from {{ source('raw', 'order_items') }}
),

product_rows as (
    select
        'products' as source_table,
        {{ clean_text('product_id') }} as record_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as timestamp) as order_ts,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from {{ source('raw', 'products') }}
),

final as (
    select * from order_rows
    union all
    select * from order_item_rows
    union all
    select * from product_rows
)

select * from final
