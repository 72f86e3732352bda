{% snapshot snap_product_versions %}
{#- The durable, append-only history of product versions, unique per (product_id, updated_at):
    see snap_customer_versions. stock_quantity is kept (fact_inventory_snapshots reads staging),
    but dim_products tracks only the catalogue attributes. -#}
{{
    config(
        unique_key=['product_id', 'updated_at'],
    strategy='timestamp',
    updated_at='updated_at',
    )
}}

select
    product_id,
    sku,
    product_name,
    category,
    subcategory,
    brand,
    unit_price,
    unit_cost,
    stock_quantity,
    is_active,
    created_at,
    updated_at
from {{ ref('stg_products') }}

{% endsnapshot %}
