with

cohorts as (
    select
        customer_id,
        cohort_month
    from {{ ref('agg_customer_orders') }}
    where revenue_orders > 0
),

active_months as (
    select
        customer_id,
        order_month,
        net_revenue
    from {{ ref('agg_customer_months') }}
    where revenue_orders > 0
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from cohorts
    group by cohort_month
),

data_months as (
    select distinct order_month
    from {{ ref('agg_sales_daily') }}
),

cohort_grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        data_months.order_month,
        {{ marts_months_between('cohort_sizes.cohort_month', 'data_months.order_month') }}
            as months_since_first_order
    from cohort_sizes
    inner join data_months
        on data_months.order_month >= cohort_sizes.cohort_month
),

cohort_activity as (
    select
        cohorts.cohort_month,
        active_months.order_month,
        count(*) as active_customers,
        sum(active_months.net_revenue) as net_revenue
    from active_months
    inner join cohorts
        on active_months.customer_id = cohorts.customer_id
    group by cohorts.cohort_month, active_months.order_month
),

final as (
    select
        cast(cohort_grid.cohort_month as date) as cohort_month,
        cast(cohort_grid.months_since_first_order as integer) as months_since_first_order,
        cast(cohort_grid.order_month as date) as activity_month,
        cast(cohort_grid.cohort_size as bigint) as cohort_size,
        cast(coalesce(cohort_activity.active_customers, 0) as bigint) as active_customers,
        cast({{ marts_ratio('coalesce(cohort_activity.active_customers, 0)', 'cohort_grid.cohort_size') }}
            as decimal(18, 6)) as retention_rate,
        cast(coalesce(cohort_activity.net_revenue, 0) as decimal(18, 2)) as net_revenue
    from cohort_grid
    left join cohort_activity
        on cohort_grid.cohort_month = cohort_activity.cohort_month
        and cohort_grid.order_month = cohort_activity.order_month
)

select * from final
