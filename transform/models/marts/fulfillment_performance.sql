with

orders as (
    select
        order_month,
        coalesce(ship_country_code, 'unknown') as ship_country_code,
        shipped_at,
        delivered_at,
        is_on_time,
        case
            when shipped_at is not null then {{ marts_seconds_between('order_ts', 'shipped_at') }}
        end as seconds_to_ship,
        case
            when shipped_at is not null and delivered_at is not null
                then {{ marts_seconds_between('shipped_at', 'delivered_at') }}
        end as seconds_to_deliver
    from {{ ref('fact_orders') }}
),

country_months as (
    select
        order_month,
        ship_country_code,
        count(shipped_at) as shipped_orders,
        count(delivered_at) as delivered_orders,
        sum(seconds_to_ship) as seconds_to_ship,
        count(seconds_to_ship) as timed_shipments,
        sum(seconds_to_deliver) as seconds_to_deliver,
        count(seconds_to_deliver) as timed_deliveries,
        sum(case when is_on_time then 1 else 0 end) as on_time_orders,
        count(is_on_time) as judged_deliveries
    from orders
    group by order_month, ship_country_code
),

final as (
    select
        cast(order_month as date) as month,
        cast(ship_country_code as varchar) as ship_country_code,
        cast(shipped_orders as bigint) as shipped_orders,
        cast(delivered_orders as bigint) as delivered_orders,
        cast({{ marts_ratio('seconds_to_ship', 'timed_shipments * 3600', scale=2, input_scale=0) }}
            as decimal(18, 2)) as avg_hours_to_ship,
        cast({{ marts_ratio('seconds_to_deliver', 'timed_deliveries * 3600', scale=2, input_scale=0) }}
            as decimal(18, 2)) as avg_hours_to_deliver,
        cast({{ marts_ratio('on_time_orders', 'judged_deliveries') }}
            as decimal(18, 6)) as on_time_rate
    from country_months
)

select * from final
