with

source as (
    select * from {{ source('raw', 'customers') }}
),

cleaned as (
    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_lower('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('phone') }} as phone,
        birth_date,
        {{ clean_upper('country_code') }} as country_code,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        {{ clean_text('postal_code') }} as postal_code,
        {{ clean_lower('acquisition_channel') }} as acquisition_channel,
        {{ clean_lower('loyalty_tier') }} as loyalty_tier,
        created_at,
        updated_at,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

flagged as (
    select
        cleaned.*,
        coalesce({{ regex_matches('email', contract_email_pattern()) }}, false) as is_valid_email,
        coalesce(
            {{ regex_matches('country_code', contract_country_code_pattern()) }}, false
        ) as is_valid_country_code
    from cleaned
)

{#- The last SELECT (see deduplicated_versions): one row per customer version. -#}
{{ deduplicated_versions(
    'flagged', 'customer_id',
    contract_columns('customers') + ['is_valid_email', 'is_valid_country_code'],
) }}
