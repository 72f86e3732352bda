{{
    config(
        materialized='incremental',
        schema='warehouse',
        unique_key='order_month',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set scope = marts_change_scope() %}
{%- set changed_months = marts_changed_keys(scope, 'order_month', [ref('fact_order_items')]) %}

with

order_lines as (
    select
        order_month,
        order_id,
        product_id,
        is_revenue_order,
        updated_at,
        _loaded_at
    from {{ ref('fact_order_items') }}
    where {{ changed_months }}
),

{# Distinct products of each revenue order; byte-order text so pairs sort the same everywhere. #}
baskets as (
    select distinct
        order_month,
        {{ marts_sort_key('order_id') }} as order_id,
        {{ marts_sort_key('product_id') }} as product_id
    from order_lines
    where is_revenue_order
),

{#- One row per month, even without any pair, so that a recomputed month always replaces its
    old rows; it carries the month's revenue orders and the watermarks. -#}
month_totals as (
    select
        order_month,
        cast(null as varchar) as product_id,
        cast(null as varchar) as related_product_id,
        count(distinct case when is_revenue_order then order_id end) as orders,
        max(updated_at) as source_updated_at,
        max(_loaded_at) as _loaded_at
    from order_lines
    group by order_month
),

{#- Each unordered pair once (product_id < related_product_id). -#}
month_pairs as (
    select
        basket.order_month,
        basket.product_id,
        related.product_id as related_product_id,
        count(*) as orders,
        cast(null as timestamp) as source_updated_at,
        cast(null as timestamp) as _loaded_at
    from baskets as basket
    inner join baskets as related
        on basket.order_id = related.order_id
        and basket.product_id < related.product_id
    group by basket.order_month, basket.product_id, related.product_id
),

month_rows as (
    select order_month, product_id, related_product_id, orders, source_updated_at, _loaded_at
    from month_totals
    union all
    select order_month, product_id, related_product_id, orders, source_updated_at, _loaded_at
    from month_pairs
),

final as (
    select
        cast(order_month as date) as order_month,
        cast(product_id as varchar) as product_id,
        cast(related_product_id as varchar) as related_product_id,
        cast(orders as bigint) as orders,
        cast(source_updated_at as timestamp) as source_updated_at,
        cast(_loaded_at as timestamp) as _loaded_at
    from month_rows
)

select * from final
