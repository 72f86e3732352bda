with

holidays as (
    select * from {{ ref('public_holidays') }}
),

final as (
    select
        cast(holiday_date as date) as date_day,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(holiday_name as {{ dbt.type_string() }}) as holiday_name
    from holidays
)

select * from final
