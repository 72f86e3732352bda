{#- Indexes for the data API's lookups by key (PostgreSQL only). -#}
{{ config(indexes=postgres_indexes([{'columns': ['customer_id'], 'unique': true}, {'columns': ['rfm_segment']}])) }}

with

customer_orders as (
    select * from {{ ref('agg_customer_orders') }}
    where revenue_orders > 0
),

current_customers as (
    select
        customer_id,
        country_code,
        acquisition_channel,
        loyalty_tier
    from {{ ref('dim_customers') }}
    where is_current
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

customer_facts as (
    select
        customer_orders.customer_id,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.revenue_orders as order_count,
        customer_orders.net_revenue,
        customer_orders.cohort_month,
        as_of.as_of_date,
        {{ days_between('customer_orders.last_order_date', 'as_of.as_of_date') }} as recency_days,
        {{ days_between('customer_orders.first_order_date', 'as_of.as_of_date') }} as tenure_days,
        {{ days_between('customer_orders.first_order_date', 'customer_orders.last_order_date') }}
            as active_span_days
    from customer_orders
    cross join as_of
),

rfm_scores as (
    select
        *,
        cast(ntile(5) over (
            order by recency_days desc, {{ marts_sort_key('customer_id') }}
        ) as integer) as r_score,
        cast(ntile(5) over (
            order by order_count, {{ marts_sort_key('customer_id') }}
        ) as integer) as f_score,
        cast(ntile(5) over (
            order by net_revenue, {{ marts_sort_key('customer_id') }}
        ) as integer) as m_score
    from customer_facts
),

{#- Typical days between revenue orders, bounded to [30, churn_days]; churn_days / 2 for one order. -#}
order_rhythm as (
    select
        *,
        {{ marts_clamp(
            "case when order_count > 1 then cast(active_span_days as double precision)"
            ~ " / (order_count - 1) else cast(" ~ var('churn_days') ~ " as double precision) / 2 end",
            "cast(30 as double precision)",
            "cast(" ~ var('churn_days') ~ " as double precision)",
        ) }} as expected_gap_days,
        cast(order_count as double precision) * 365
            / cast(greatest(tenure_days, 365) as double precision) as annual_order_rate
    from rfm_scores
),

activity as (
    select
        *,
        exp(-cast(recency_days as double precision) / expected_gap_days) as p_active
    from order_rhythm
),

customer_models as (
    select
        *,
        {{ marts_ratio('net_revenue', 'order_count', scale=2) }} as avg_order_value,
        {{ marts_round_float('1 - p_active', 6) }} as churn_probability,
        {{ marts_round_float(
            'annual_order_rate * (cast(net_revenue as double precision) / order_count) * p_active', 2
        ) }} as predicted_clv,
        recency_days > {{ var('churn_days') }} as is_churned
    from activity
),

scored as (
    select
        *,
        round(
            8.75 * (r_score - 1)
            + 6.25 * (f_score - 1)
            + 6.25 * (m_score - 1)
            + 15 * (1 - churn_probability),
            2
        ) as customer_health_score
    from customer_models
),

final as (
    select
        cast(scored.customer_id as varchar) as customer_id,
        cast(scored.first_order_date as date) as first_order_date,
        cast(scored.last_order_date as date) as last_order_date,
        cast(scored.order_count as bigint) as order_count,
        cast(scored.net_revenue as decimal(18, 2)) as net_revenue,
        cast(scored.avg_order_value as decimal(18, 2)) as avg_order_value,
        cast(scored.recency_days as integer) as recency_days,
        cast(scored.order_count as bigint) as frequency,
        cast(scored.net_revenue as decimal(18, 2)) as monetary,
        cast(scored.r_score as integer) as r_score,
        cast(scored.f_score as integer) as f_score,
        cast(scored.m_score as integer) as m_score,
        cast(
            cast(scored.r_score as varchar) || cast(scored.f_score as varchar)
            || cast(scored.m_score as varchar)
            as varchar
        ) as rfm_score,
        cast(
            {{ marts_rfm_segment('scored.r_score', 'scored.f_score', 'scored.m_score') }}
            as varchar
        ) as rfm_segment,
        cast(scored.net_revenue as decimal(18, 2)) as historical_clv,
        cast(scored.predicted_clv as decimal(18, 2)) as predicted_clv,
        cast(scored.customer_health_score as decimal(5, 2)) as customer_health_score,
        cast(scored.is_churned as boolean) as is_churned,
        cast(scored.churn_probability as decimal(18, 6)) as churn_probability,
        cast(scored.cohort_month as date) as cohort_month,
        cast(current_customers.country_code as varchar) as country_code,
        cast(current_customers.acquisition_channel as varchar) as acquisition_channel,
        cast(current_customers.loyalty_tier as varchar) as loyalty_tier,
        cast(scored.as_of_date as date) as as_of_date
    from scored
    left join current_customers
        on scored.customer_id = current_customers.customer_id
)

select * from final
