{#-
    Reviewer minutes a pull request cost (docs/metrics.md "Review cost"): an explicit assumption of
    `review_minutes_per_review` per review and `review_minutes_per_comment` per review comment.
    Minutes stay exact; callers price them (× reviewer_hourly_usd ÷ 60) after summing.
-#}
{% macro review_minutes(review_count, review_comment_count) -%}
    (
        {{ var('review_minutes_per_review') }} * {{ review_count }}
        + {{ var('review_minutes_per_comment') }} * {{ review_comment_count }}
    )
{%- endmacro %}
