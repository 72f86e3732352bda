{{
    config(
        materialized='incremental',
        schema='warehouse',
        unique_key='order_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set scope = marts_change_scope() %}
{%- set changed_days = marts_changed_keys(
    scope, 'order_date', [ref('fact_orders'), ref('fact_order_items')]
) %}

with

orders as (
    select
        order_date,
        order_month,
        order_quarter,
        customer_id,
        is_revenue_order,
        is_cancelled,
        units,
        returned_units,
        gross_revenue,
        net_revenue,
        gross_profit,
        shipping_cost,
        tax_amount,
        updated_at,
        _loaded_at
    from {{ ref('fact_orders') }}
    where {{ changed_days }}
),

daily_totals as (
    select
        order_date,
        min(order_month) as order_month,
        min(order_quarter) as order_quarter,
        count(*) as orders,
        sum(case when is_revenue_order then 1 else 0 end) as revenue_orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        count(distinct case when is_revenue_order then customer_id end) as customers,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        {{ sum_known('gross_profit') }} as gross_profit,
        sum(case when is_revenue_order then units else 0 end) as units_sold,
        sum(case when is_revenue_order then returned_units else 0 end) as returned_units,
        sum(case when is_revenue_order then shipping_cost else 0 end) as shipping_revenue,
        sum(case when is_revenue_order then tax_amount else 0 end) as tax_collected,
        max(updated_at) as source_updated_at,
        max(_loaded_at) as _loaded_at
    from orders
    group by order_date
),

final as (
    select
        cast(order_date as date) as order_date,
        cast(order_month as date) as order_month,
        cast(order_quarter as date) as order_quarter,
        cast(orders as bigint) as orders,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(cancelled_orders as bigint) as cancelled_orders,
        cast(customers as bigint) as customers,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_profit as decimal(18, 2)) as gross_profit,
        cast(units_sold as bigint) as units_sold,
        cast(returned_units as bigint) as returned_units,
        cast(coalesce(shipping_revenue, 0) as decimal(18, 2)) as shipping_revenue,
        cast(coalesce(tax_collected, 0) as decimal(18, 2)) as tax_collected,
        cast(source_updated_at as timestamp) as source_updated_at,
        cast(_loaded_at as timestamp) as _loaded_at
    from daily_totals
)

select * from final
