{#- Generic data tests (no dbt packages: written here). -#}

{% test not_negative(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}

{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select {{ column_name }}
    from {{ model }}
    where
        {%- if min_value is not none %} {{ column_name }} < {{ min_value }} {%- endif %}
        {%- if min_value is not none and max_value is not none %} or {%- endif %}
        {%- if max_value is not none %} {{ column_name }} > {{ max_value }} {%- endif %}
        {%- if min_value is none and max_value is none %} 1 = 0 {%- endif %}
{% endtest %}

{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test accepted_contract_values(model, column_name, enum) %}
    {#- Values of the column outside the contract enum '<table>.<column>' (nulls allowed). -#}
    select {{ column_name }}, count(*) as row_count
    from {{ model }}
    where {{ column_name }} is not null
        and {{ column_name }} not in (
            {%- for value in contract_enum(enum) %}
            '{{ value }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    group by {{ column_name }}
{% endtest %}

{% test exactly_one_current(model, key, current_flag='is_current') %}
    {#- Keys of an SCD2 table without exactly one current row. -#}
    select {{ key }}, sum(case when {{ current_flag }} then 1 else 0 end) as current_rows
    from {{ model }}
    group by {{ key }}
    having sum(case when {{ current_flag }} then 1 else 0 end) <> 1
{% endtest %}

{% test no_overlapping_validity(model, key, valid_from='valid_from', valid_to='valid_to') %}
    {#- SCD2 rows of a key whose validity is empty, overlaps the next row's, or leaves a gap
        before it (each version ends exactly where the next begins). -#}
    with ordered as (
        select
            {{ key }},
            {{ valid_from }} as row_valid_from,
            {{ valid_to }} as row_valid_to,
            lead({{ valid_from }}) over (
                partition by {{ key }} order by {{ valid_from }}
            ) as next_valid_from
        from {{ model }}
    )
    select *
    from ordered
    where row_valid_from >= row_valid_to
        or (next_valid_from is not null and next_valid_from <> row_valid_to)
{% endtest %}
