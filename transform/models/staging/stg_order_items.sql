with

source as (
    select * from {{ source('raw', 'order_items') }}
),

cleaned as (
    select
        {{ clean_text('order_item_id') }} as order_item_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        cast(quantity as bigint) as quantity,
        {{ to_money('unit_price') }} as unit_price,
        {{ to_money('discount_amount') }} as discount_amount,
        is_returned,
        returned_at,
        {{ clean_text('return_reason') }} as return_reason,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from source
)

{#- The last SELECT (see deduplicated_versions): one row per order_item version. -#}
{{ deduplicated_versions('cleaned', 'order_item_id', contract_columns('order_items')) }}
