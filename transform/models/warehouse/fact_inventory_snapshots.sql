{{
    config(
        materialized='incremental',
        unique_key=['product_id', 'snapshot_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=postgres_indexes([
            {'columns': ['product_id', 'snapshot_at'], 'unique': true},
            {'columns': ['snapshot_date']},
        ]),
    )
}}
{%- set scope = product_change_scope() %}

with

product_versions as (
    select * from {{ ref('stg_products') }}
    where {{ scope.products_filter }}
),

stock_versions as (
    {#- One row per product version carrying a stock level. -#}
    select *
    from product_versions
    where stock_quantity is not null
),

final as (
    select
        product_id,
        updated_at as snapshot_at,
        cast(updated_at as date) as snapshot_date,
        stock_quantity,
        unit_cost,
        {{ to_money('stock_quantity * unit_cost') }} as inventory_value,
        _loaded_at
    from stock_versions
)

select * from final
