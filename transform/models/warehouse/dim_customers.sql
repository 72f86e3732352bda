{{
    config(
        indexes=postgres_indexes([
            {'columns': ['customer_sk'], 'unique': true},
            {'columns': ['customer_id', 'valid_from']},
        ]),
    )
}}

with

customer_versions as (
    {{ scd2_versions(
        relation=ref('snap_customer_versions'),
        key='customer_id',
        tracked_columns=[
            'email', 'first_name', 'last_name', 'phone', 'country_code', 'region', 'city',
            'postal_code', 'acquisition_channel', 'loyalty_tier',
        ],
        type1_columns=['birth_date', 'created_at'],
        created_column='created_at',
    ) }}
),

final as (
    select
        {{ surrogate_key('customer_id', 'valid_from') }} as customer_sk,
        customer_id,
        email,
        first_name,
        last_name,
        phone,
        birth_date,
        country_code,
        region,
        city,
        postal_code,
        acquisition_channel,
        loyalty_tier,
        created_at as signup_at,
        valid_from,
        valid_to,
        is_current,
        version_number
    from customer_versions
)

select * from final
