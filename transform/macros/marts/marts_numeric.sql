{#-
    Exact, warehouse-independent arithmetic for the marts.

    Rates and averages are rounded half away from zero with integer arithmetic (no floating point),
    so DuckDB and PostgreSQL return byte-identical values whatever the build path.
-#}

{% macro marts_exact_integer_type() -%}
    {{ return(adapter.dispatch('marts_exact_integer_type', 'ecommerce')()) }}
{%- endmacro %}

{% macro default__marts_exact_integer_type() -%}
    numeric
{%- endmacro %}

{% macro duckdb__marts_exact_integer_type() -%}
    hugeint
{%- endmacro %}


{#- Integer division truncating toward zero. -#}
{% macro marts_integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('marts_integer_divide', 'ecommerce')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__marts_integer_divide(dividend, divisor) -%}
    div({{ dividend }}, {{ divisor }})
{%- endmacro %}

{% macro duckdb__marts_integer_divide(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}


{#-
    numerator / denominator rounded half away from zero to `scale` decimals, as decimal(38, scale);
    null when the denominator is 0 or null. Both inputs must be exact numbers with at most
    `input_scale` decimals (counts, money).
-#}
{% macro marts_ratio(numerator, denominator, scale=6, input_scale=2) -%}
    {%- set integer_type = marts_exact_integer_type() -%}
    {%- set factor = 10 ** input_scale -%}
    {%- set n = "cast(round((" ~ numerator ~ ") * " ~ factor ~ ") as " ~ integer_type ~ ")" -%}
    {%- set d = "cast(round((" ~ denominator ~ ") * " ~ factor ~ ") as " ~ integer_type ~ ")" -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            sign({{ n }}) * sign({{ d }})
            * {{ marts_integer_divide(
                "2 * abs(" ~ n ~ ") * " ~ (10 ** scale) ~ " + abs(" ~ d ~ ")",
                "2 * abs(" ~ d ~ ")"
            ) }}
            as decimal(30, 0)
        ) * cast({{ marts_scale_unit(scale) }} as decimal({{ scale + 2 }}, {{ scale }}))
    end
{%- endmacro %}

{% macro marts_scale_unit(scale) -%}
    {%- if scale == 0 -%}1{%- else -%}0.{{ '0' * (scale - 1) }}1{%- endif -%}
{%- endmacro %}


{#-
    A floating-point expression rounded half away from zero to `scale` decimals, as a decimal.
    Used only where a formula needs exp(); the value goes through decimal(38,12) first.
-#}
{% macro marts_round_float(expression, scale=6) -%}
    round(cast({{ expression }} as decimal(38, 12)), {{ scale }})
{%- endmacro %}


{#- Clamp an exact expression to [lower, upper]. -#}
{% macro marts_clamp(expression, lower, upper) -%}
    least(greatest({{ expression }}, {{ lower }}), {{ upper }})
{%- endmacro %}


{#- Byte-order (collation-independent) sort key for text ids, so ties break the same everywhere. -#}
{% macro marts_sort_key(column) -%}
    {{ return(adapter.dispatch('marts_sort_key', 'ecommerce')(column)) }}
{%- endmacro %}

{% macro default__marts_sort_key(column) -%}
    {{ column }} collate "C"
{%- endmacro %}

{% macro duckdb__marts_sort_key(column) -%}
    {{ column }}
{%- endmacro %}
