{#-
    The 11-segment RFM map (documented in models/marts/_marts__docs.md, block rfm_segment_map).
    Rows: R score; columns: band of the mean of F and M (f + m = 2..10):
      band 1: mean 1-1.5 (f+m <= 3), band 2: mean 2-2.5 (f+m <= 5),
      band 3: mean 3-3.5 (f+m <= 7), band 4: mean 4-5 (f+m >= 8).
-#}
{% macro marts_rfm_segment(r_score, f_score, m_score) -%}
    case
        {%- set fm = "(" ~ f_score ~ " + " ~ m_score ~ ")" %}
        when {{ r_score }} >= 4 and {{ fm }} >= 8 then 'Champions'
        when {{ r_score }} >= 3 and {{ fm }} >= 6 then 'Loyal Customers'
        when {{ r_score }} >= 4 and {{ fm }} >= 4 then 'Potential Loyalists'
        when {{ r_score }} = 5 then 'New Customers'
        when {{ r_score }} = 4 then 'Promising'
        when {{ r_score }} = 3 and {{ fm }} >= 4 then 'Need Attention'
        when {{ r_score }} = 3 then 'About to Sleep'
        when {{ r_score }} = 2 and {{ fm }} >= 6 then 'At Risk'
        when {{ r_score }} = 2 and {{ fm }} >= 4 then 'About to Sleep'
        when {{ r_score }} = 2 then 'Hibernating'
        when {{ fm }} >= 8 then 'Cannot Lose Them'
        when {{ fm }} >= 6 then 'At Risk'
        when {{ fm }} >= 4 then 'Hibernating'
        else 'Lost'
    end
{%- endmacro %}
