{{
    config(
        indexes=postgres_indexes([
            {'columns': ['product_sk'], 'unique': true},
            {'columns': ['product_id', 'valid_from']},
        ]),
    )
}}

with

product_versions as (
    {{ scd2_versions(
        relation=ref('snap_product_versions'),
        key='product_id',
        tracked_columns=[
            'product_name', 'category', 'subcategory', 'brand', 'unit_price', 'unit_cost',
            'is_active',
        ],
        type1_columns=['sku', 'created_at'],
        created_column='created_at',
    ) }}
),

final as (
    select
        {{ surrogate_key('product_id', 'valid_from') }} as product_sk,
        product_id,
        sku,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        unit_cost,
        is_active,
        created_at as listed_at,
        valid_from,
        valid_to,
        is_current,
        version_number
    from product_versions
)

select * from final
