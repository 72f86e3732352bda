{#- retention(0) = 1: every cohort has a month-0 row where all its customers are active; and the
    cohort sizes add up to the customers of customer_summary. -#}
with

month_zero as (
    select *
    from {{ ref('cohort_retention') }}
    where months_since_first_order = 0
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as customers
    from {{ ref('customer_summary') }}
    group by cohort_month
)

select
    coalesce(month_zero.cohort_month, cohort_sizes.cohort_month) as cohort_month,
    month_zero.cohort_size,
    month_zero.active_customers,
    month_zero.retention_rate,
    cohort_sizes.customers
from month_zero
full outer join cohort_sizes
    on month_zero.cohort_month = cohort_sizes.cohort_month
where month_zero.cohort_month is null
    or cohort_sizes.cohort_month is null
    or month_zero.retention_rate <> 1
    or month_zero.active_customers <> month_zero.cohort_size
    or month_zero.cohort_size <> cohort_sizes.customers
