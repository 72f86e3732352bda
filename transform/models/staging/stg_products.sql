with

source as (
    select * from {{ source('raw', 'products') }}
),

cleaned as (
    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('sku') }} as sku,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('category') }} as category,
        {{ clean_text('subcategory') }} as subcategory,
        {{ clean_text('brand') }} as brand,
        {{ to_money('unit_price') }} as unit_price,
        {{ to_money('unit_cost') }} as unit_cost,
        cast(stock_quantity as bigint) as stock_quantity,
        is_active,
        created_at,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from source
)

{#- The last SELECT (see deduplicated_versions): one row per product version. -#}
{{ deduplicated_versions('cleaned', 'product_id', contract_columns('products')) }}
