{#- Indexes for the data API's lookups by key (PostgreSQL only). -#}
{{ config(indexes=postgres_indexes([{'columns': ['product_id'], 'unique': true}])) }}

with

products as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        is_active
    from {{ ref('dim_products') }}
    where is_current
),

product_months as (
    select * from {{ ref('agg_product_months') }}
),

snapshots as (
    select
        product_id,
        snapshot_at,
        snapshot_date,
        inventory_value
    from {{ ref('fact_inventory_snapshots') }}
),

affinity as (
    select
        product_id,
        related_product_id,
        orders_together,
        lift
    from {{ ref('product_affinity') }}
),

{#- The analysis period: the twelve order months up to the as-of date (as_of_date excluded). -#}
analysis_period as (
    select
        as_of_date,
        {{ marts_month_start_minus('as_of_date - 1', 11) }} as period_start
    from (select {{ as_of_date() }} as as_of_date) as as_of
),

product_totals as (
    select
        product_id,
        sum(revenue_orders) as revenue_orders,
        sum(units_sold) as units_sold,
        sum(returned_units) as returned_units,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        {{ sum_known('cost_of_net_revenue') }} as cost_of_net_revenue,
        {{ sum_known('gross_profit') }} as gross_profit
    from product_months
    group by product_id
),

period_cogs as (
    select
        product_months.product_id,
        {{ sum_known('product_months.cost_of_net_revenue') }} as cost_of_goods_sold
    from product_months
    cross join analysis_period
    where product_months.order_month >= analysis_period.period_start
        and product_months.order_month < analysis_period.as_of_date
    group by product_months.product_id
),

{#- One stock level per product and day (the day's last snapshot), in force until the next one. -#}
daily_levels as (
    select
        product_id,
        snapshot_date,
        inventory_value
    from (
        select
            product_id,
            snapshot_date,
            inventory_value,
            row_number() over (
                partition by product_id, snapshot_date order by snapshot_at desc
            ) as level_rank
        from snapshots
    ) as ranked
    where level_rank = 1
),

level_spans as (
    select
        daily_levels.product_id,
        daily_levels.inventory_value,
        greatest(daily_levels.snapshot_date, analysis_period.period_start) as span_start,
        least(
            coalesce(
                lead(daily_levels.snapshot_date) over (
                    partition by daily_levels.product_id order by daily_levels.snapshot_date
                ),
                analysis_period.as_of_date
            ),
            analysis_period.as_of_date
        ) as span_end
    from daily_levels
    cross join analysis_period
),

average_inventory as (
    select
        product_id,
        {{ marts_ratio(
            'sum(inventory_value * ' ~ days_between('span_start', 'span_end') ~ ')',
            'sum(' ~ days_between('span_start', 'span_end') ~ ')',
            scale=2,
        ) }} as avg_inventory_value
    from level_spans
    where span_end > span_start
    group by product_id
),

top_cross_sell as (
    select
        product_id,
        related_product_id
    from (
        select
            product_id,
            related_product_id,
            row_number() over (
                partition by product_id
                order by lift desc, orders_together desc, {{ marts_sort_key('related_product_id') }}
            ) as partner_rank
        from affinity
    ) as ranked
    where partner_rank = 1
),

all_products as (
    select product_id from products
    union
    select product_id from product_totals
),

measures as (
    select
        all_products.product_id,
        products.product_name,
        products.category,
        products.subcategory,
        products.brand,
        products.is_active,
        coalesce(product_totals.revenue_orders, 0) as revenue_orders,
        coalesce(product_totals.units_sold, 0) as units_sold,
        coalesce(product_totals.returned_units, 0) as returned_units,
        coalesce(product_totals.gross_revenue, 0) as gross_revenue,
        coalesce(product_totals.net_revenue, 0) as net_revenue,
        {#- No sales: 0; sales with a product cost unknown: null (unknown, not 0). -#}
        case when product_totals.product_id is null then 0 else product_totals.gross_profit end
            as gross_profit,
        case when period_cogs.product_id is null then 0 else period_cogs.cost_of_goods_sold end
            as cost_of_goods_sold,
        average_inventory.avg_inventory_value,
        top_cross_sell.related_product_id as top_cross_sell_product_id
    from all_products
    left join products on all_products.product_id = products.product_id
    left join product_totals on all_products.product_id = product_totals.product_id
    left join period_cogs on all_products.product_id = period_cogs.product_id
    left join average_inventory on all_products.product_id = average_inventory.product_id
    left join top_cross_sell on all_products.product_id = top_cross_sell.product_id
),

rates as (
    select
        *,
        {{ marts_ratio('gross_profit', 'net_revenue') }} as margin_pct,
        {{ marts_ratio('returned_units', 'units_sold') }} as return_rate,
        {{ marts_ratio('cost_of_goods_sold', 'avg_inventory_value') }} as inventory_turnover,
        {{ marts_ratio('365 * avg_inventory_value', 'cost_of_goods_sold', scale=2) }}
            as days_of_inventory,
        {{ marts_ratio(
            'rank() over (order by net_revenue) - 1',
            'count(*) over () - 1',
        ) }} as revenue_percentile
    from measures
),

{#-
    product_health_score = 100 x (0.30 sales + 0.25 margin + 0.20 returns + 0.25 stock), each
    component in [0, 1] (see the docs block product_health_score).
-#}
health_components as (
    select
        *,
        coalesce(revenue_percentile, 1) as sales_component,
        {{ marts_clamp('coalesce(margin_pct, 0) * 2', 0, 1) }} as margin_component,
        1 - {{ marts_clamp('coalesce(return_rate, 0) * 5', 0, 1) }} as returns_component,
        case
            when avg_inventory_value is null or avg_inventory_value = 0 then 0.5
            else {{ marts_clamp('coalesce(inventory_turnover, 0) * 0.1', 0, 1) }}
        end as stock_component
    from rates
),

final as (
    select
        cast(product_id as varchar) as product_id,
        cast(product_name as varchar) as product_name,
        cast(category as varchar) as category,
        cast(subcategory as varchar) as subcategory,
        cast(brand as varchar) as brand,
        cast(is_active as boolean) as is_active,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(units_sold as bigint) as units_sold,
        cast(returned_units as bigint) as returned_units,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_profit as decimal(18, 2)) as gross_profit,
        cast(margin_pct as decimal(18, 6)) as margin_pct,
        cast(return_rate as decimal(18, 6)) as return_rate,
        cast(cost_of_goods_sold as decimal(18, 2)) as cost_of_goods_sold,
        cast(avg_inventory_value as decimal(18, 2)) as avg_inventory_value,
        cast(inventory_turnover as decimal(18, 6)) as inventory_turnover,
        cast(days_of_inventory as decimal(18, 2)) as days_of_inventory,
        cast(round(
            30 * sales_component + 25 * margin_component + 20 * returns_component
            + 25 * stock_component,
            2
        ) as decimal(5, 2)) as product_health_score,
        cast(top_cross_sell_product_id as varchar) as top_cross_sell_product_id
    from health_components
)

select * from final
