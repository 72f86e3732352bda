with

orders as (
    select
        coalesce(ship_country_code, 'unknown') as country_code,
        coalesce(ship_region, 'unknown') as region,
        order_month,
        customer_id,
        is_revenue_order,
        net_revenue
    from {{ ref('fact_orders') }}
),

region_months as (
    select
        country_code,
        region,
        order_month,
        count(distinct case when is_revenue_order then customer_id end) as customers,
        count(*) as orders,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_orders,
        sum(net_revenue) as net_revenue
    from orders
    group by country_code, region, order_month
),

final as (
    select
        cast(country_code as varchar) as country_code,
        cast(region as varchar) as region,
        cast(order_month as date) as month,
        cast(customers as bigint) as customers,
        cast(orders as bigint) as orders,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ marts_ratio('net_revenue', 'revenue_orders', scale=2) }}
            as decimal(18, 2)) as avg_order_value
    from region_months
)

select * from final
