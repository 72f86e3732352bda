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
        product_id,
        order_id,
        order_month,
        is_revenue_order,
        is_returned,
        quantity,
        gross_revenue,
        net_revenue,
        cost_of_net_revenue,
        gross_profit,
        updated_at,
        _loaded_at
    from {{ ref('fact_order_items') }}
    where {{ changed_months }}
),

product_months as (
    select
        product_id,
        order_month,
        count(distinct case when is_revenue_order then order_id end) as revenue_orders,
        sum(case when is_revenue_order then quantity else 0 end) as units_sold,
        sum(case when is_revenue_order and is_returned then quantity else 0 end) as returned_units,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        {{ sum_known('cost_of_net_revenue') }} as cost_of_net_revenue,
        {{ sum_known('gross_profit') }} as gross_profit,
        max(updated_at) as source_updated_at,
        max(_loaded_at) as _loaded_at
    from order_lines
    group by product_id, order_month
),

final as (
    select
        cast(product_id as varchar) as product_id,
        cast(order_month as date) as order_month,
        cast(revenue_orders as bigint) as revenue_orders,
        cast(units_sold as bigint) as units_sold,
        cast(returned_units as bigint) as returned_units,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(cost_of_net_revenue as decimal(18, 2)) as cost_of_net_revenue,
        cast(gross_profit as decimal(18, 2)) as gross_profit,
        cast(source_updated_at as timestamp) as source_updated_at,
        cast(_loaded_at as timestamp) as _loaded_at
    from product_months
)

select * from final
