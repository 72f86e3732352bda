{#- Indexes for the data API's lookups by key (PostgreSQL only). -#}
{{ config(indexes=postgres_indexes([{'columns': ['product_id']}])) }}

with

{# Per-month inputs, refreshed incrementally (agg_product_pairs_months, agg_product_months): an
   order lies in one month, so summing the months counts every order once. #}
month_rows as (
    select
        product_id,
        related_product_id,
        orders
    from {{ ref('agg_product_pairs_months') }}
),

total_orders as (
    select cast(sum(orders) as bigint) as revenue_orders
    from month_rows
    where product_id is null
),

product_orders as (
    select
        product_id,
        cast(sum(revenue_orders) as bigint) as orders
    from {{ ref('agg_product_months') }}
    group by product_id
    having sum(revenue_orders) > 0
),

{#- Each unordered pair once (product_id < related_product_id), then both directions. -#}
unordered_pairs as (
    select
        product_id,
        related_product_id,
        cast(sum(orders) as bigint) as orders_together
    from month_rows
    where product_id is not null
    group by product_id, related_product_id
    having sum(orders) >= {{ marts_affinity_min_orders() }}
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
