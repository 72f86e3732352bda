{#- Indexes for the data API's lookups by key (PostgreSQL only). -#}
{{ config(indexes=postgres_indexes([{'columns': ['product_id']}])) }}

with

{# Distinct products of each revenue order; byte-order text so pairs sort the same everywhere. #}
baskets as (
    select distinct
        {{ marts_sort_key('order_id') }} as order_id,
        {{ marts_sort_key('product_id') }} as product_id
    from {{ ref('fact_order_items') }}
    where is_revenue_order
),

total_orders as (
    select count(distinct order_id) as revenue_orders
    from baskets
),

product_orders as (
    select
        product_id,
        count(*) as orders
    from baskets
    group by product_id
),

{#- Each unordered pair once (product_id < related_product_id), then both directions. -#}
unordered_pairs as (
    select
        basket.product_id,
        related.product_id as related_product_id,
        count(*) as orders_together
    from baskets as basket
    inner join baskets as related
        on basket.order_id = related.order_id
        and basket.product_id < related.product_id
    group by basket.product_id, related.product_id
    having count(*) >= {{ marts_affinity_min_orders() }}
),

pairs as (
    select product_id, related_product_id, orders_together from unordered_pairs
    union all
    select related_product_id, product_id, orders_together from unordered_pairs
),

final as (
    select
        cast(pairs.product_id as varchar) as product_id,
        cast(pairs.related_product_id as varchar) as related_product_id,
        cast(pairs.orders_together as bigint) as orders_together,
        cast(product_orders.orders as bigint) as product_orders,
        cast(related_orders.orders as bigint) as related_product_orders,
        cast({{ marts_ratio('pairs.orders_together', 'total_orders.revenue_orders') }}
            as decimal(18, 6)) as support,
        cast({{ marts_ratio('pairs.orders_together', 'product_orders.orders') }}
            as decimal(18, 6)) as confidence,
        cast({{ marts_ratio(
            'pairs.orders_together * total_orders.revenue_orders',
            'product_orders.orders * related_orders.orders',
        ) }} as decimal(18, 6)) as lift
    from pairs
    cross join total_orders
    inner join product_orders
        on pairs.product_id = product_orders.product_id
    inner join product_orders as related_orders
        on pairs.related_product_id = related_orders.product_id
)

select * from final
