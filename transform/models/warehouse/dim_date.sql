{{
    config(
        indexes=postgres_indexes([{'columns': ['date_day'], 'unique': true}]),
    )
}}

with

order_dates as (
    select
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from {{ ref('fact_orders') }}
),

bounds as (
    {#- From the first order date to the later of the last order date and the as-of date. -#}
    select
        coalesce(
            case
                when first_order_date <= {{ as_of_date() }} then first_order_date
                else {{ as_of_date() }}
            end,
            {{ as_of_date() }}
        ) as first_day,
        coalesce(
            case
                when last_order_date >= {{ as_of_date() }} then last_order_date
                else {{ as_of_date() }}
            end,
            {{ as_of_date() }}
        ) as last_day
    from order_dates
),

days as (
    select spine.date_day
    from bounds
    cross join {{ date_spine_from('bounds.first_day', 'bounds.last_day') }}
),

holidays as (
    select
        date_day,
        {{ ordered_string_agg("holiday_name || ' (' || country_code || ')'", '; ') }}
            as holiday_names
    from {{ ref('dim_date_holidays') }}
    group by date_day
),

final as (
    select
        days.date_day,
        cast(extract(year from days.date_day) as integer) as year,
        cast(extract(quarter from days.date_day) as integer) as quarter,
        cast(extract(month from days.date_day) as integer) as month,
        {{ trunc_date('month', 'days.date_day') }} as month_start,
        {{ trunc_date('quarter', 'days.date_day') }} as quarter_start,
        {{ trunc_date('week', 'days.date_day') }} as week_start,
        {{ iso_day_of_week('days.date_day') }} as day_of_week,
        {{ day_name('days.date_day') }} as day_name,
        {{ iso_day_of_week('days.date_day') }} >= 6 as is_weekend,
        holidays.date_day is not null as is_holiday,
        holidays.holiday_names
    from days
    left join holidays
        on days.date_day = holidays.date_day
)

select * from final
