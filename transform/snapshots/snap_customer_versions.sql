{% snapshot snap_customer_versions %}
{#- The durable, append-only history of customer versions. The unique key is the version
    (customer_id, updated_at), not the customer: every version row (one per key and updated_at
    in staging) is inserted once and never changed, so the history is the same whether the raw data was loaded day by day or all
    at once. dim_customers derives the SCD2 validity from it. -#}
{{
    config(
        unique_key=['customer_id', 'updated_at'],
    strategy='timestamp',
    updated_at='updated_at',
    )
}}

select
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
    created_at,
    updated_at
from {{ ref('stg_customers') }}

{% endsnapshot %}
