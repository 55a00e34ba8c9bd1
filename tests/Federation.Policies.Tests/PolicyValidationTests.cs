namespace Federation.Policies.Tests;

/// <summary>
/// One test per kind of mistake. Each names the line of <see cref="PolicyText.Valid"/> it changes and expects the
/// error to start with file:line:column of the offending node, then the field path.
/// </summary>
public class PolicyValidationTests
{
    private static PolicyException Fails(params (string Line, string Replacement)[] changes) =>
        Should.Throw<PolicyException>(() => PolicyText.Parse(changes));

    private static PolicyException Fails(string yaml) =>
        Should.Throw<PolicyException>(() => PolicyText.Parse(yaml));

    private static void ShouldPointAt(PolicyException error, int line, int column, string? field)
    {
        error.SourceName.ShouldBe(PolicyText.Source);
        error.Line.ShouldBe(line);
        error.Column.ShouldBe(column);
        error.FieldPath.ShouldBe(field);
        string prefix = field is null ? $"{PolicyText.Source}:{line}:{column}: " : $"{PolicyText.Source}:{line}:{column}: {field} ";
        error.Message.ShouldStartWith(prefix);
    }

    [Fact]
    public void Valid_policy_parses()
    {
        PolicyText.Parse(PolicyText.Valid).Id.ShouldBe("factory-1");
    }

    [Fact]
    public void Negative_clipping_norm_is_reported_with_file_line_column_and_field()
    {
        var error = Fails(("  maxUpdateL2Norm: 1.0", "  maxUpdateL2Norm: -1"));

        error.Message.ShouldBe("policies/test.yaml:13:20: clipping.maxUpdateL2Norm must be a positive number, got -1");
    }

    [Fact]
    public void Unknown_top_level_key_is_rejected_with_a_suggestion()
    {
        var error = Fails(("minimumSamples: 1000", "minimumSample: 1000"));

        ShouldPointAt(error, 8, 1, "minimumSample");
        error.Message.ShouldEndWith("is not a known field; did you mean 'minimumSamples'?");
    }

    [Fact]
    public void Unknown_nested_key_is_rejected()
    {
        var error = Fails(("  maxUpdateL2Norm: 1.0", "  maxUpdateNorm: 1.0"));

        ShouldPointAt(error, 13, 3, "clipping.maxUpdateNorm");
        error.Message.ShouldContain("did you mean 'maxUpdateL2Norm'?");
    }

    [Fact]
    public void Unknown_key_far_from_any_field_lists_the_known_ones()
    {
        var error = Fails(("name: Factory 1", "colour: blue"));

        ShouldPointAt(error, 2, 1, "colour");
        error.Message.ShouldContain("expected one of id, name, version");
    }

    [Fact]
    public void Repeated_key_is_rejected()
    {
        var error = Fails(("minimumSamples: 1000", "version: 4"));

        ShouldPointAt(error, 8, 1, "version");
        error.Message.ShouldEndWith("is given twice (first on line 3)");
    }

    [Fact]
    public void Missing_required_field_is_reported_at_its_parent()
    {
        var error = Fails(("id: factory-1", "# no id"));

        ShouldPointAt(error, 2, 1, "id");
        error.Message.ShouldEndWith("id is required");
    }

    [Fact]
    public void Missing_nested_field_is_reported_at_its_parent()
    {
        var error = Fails(("    delta: 1.0e-5", "    # no delta"));

        ShouldPointAt(error, 18, 5, "privacy.budget.delta");
        error.Message.ShouldEndWith("is required");
    }

    [Fact]
    public void Allowing_model_updates_requires_their_rules()
    {
        var error = Fails(("clipping:", "# no clipping"), ("  maxUpdateL2Norm: 1.0", "#"));

        ShouldPointAt(error, 1, 1, "clipping");
        error.Message.ShouldEndWith("is required when allow lists model-update");
    }

    [Fact]
    public void Allowing_metrics_requires_the_metric_list()
    {
        string yaml = PolicyText.Valid[..PolicyText.Valid.IndexOf("metrics:", StringComparison.Ordinal)];
        var error = Fails(yaml);

        error.FieldPath.ShouldBe("metrics");
        error.Message.ShouldEndWith("is required when allow lists evaluation-metrics");
    }

    [Fact]
    public void Wrong_type_integer_is_rejected()
    {
        var error = Fails(("version: 3", "version: three"));

        error.Message.ShouldBe("policies/test.yaml:3:10: version must be a positive integer, got three");
    }

    [Fact]
    public void Fractional_sample_minimum_is_rejected()
    {
        var error = Fails(("minimumSamples: 1000", "minimumSamples: 1.5"));

        error.Message.ShouldBe("policies/test.yaml:8:17: minimumSamples must be a positive integer, got 1.5");
    }

    [Fact]
    public void Negative_metric_minimum_is_rejected()
    {
        var error = Should.Throw<PolicyException>(() => PolicyText.Parse(
            PolicyText.Valid.Replace("  accuracy:\n    minimumSamples: 200", "  accuracy:\n    minimumSamples: -5", StringComparison.Ordinal)));

        error.Message.ShouldBe("policies/test.yaml:23:21: metrics[\"accuracy\"].minimumSamples must be a positive integer, got -5");
    }

    [Fact]
    public void Section_of_the_wrong_type_is_rejected()
    {
        var error = Fails(("clipping:", "clipping: 1.0"), ("  maxUpdateL2Norm: 1.0", "#"));

        error.Message.ShouldBe("policies/test.yaml:12:11: clipping must be a mapping, got 1.0");
    }

    [Fact]
    public void Quoted_number_is_text_not_a_number()
    {
        var error = Fails(("    epsilon: 8.0", "    epsilon: \"8.0\""));

        error.Message.ShouldBe("policies/test.yaml:18:14: privacy.budget.epsilon must be a positive number, got \"8.0\"");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData(".inf")]
    [InlineData("Infinity")]
    public void Epsilon_must_be_positive_and_finite(string value)
    {
        var error = Fails(("    epsilon: 8.0", $"    epsilon: {value}"));

        error.Message.ShouldBe($"policies/test.yaml:18:14: privacy.budget.epsilon must be a positive number, got {value}");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("1.5")]
    [InlineData("-1e-5")]
    public void Delta_must_be_between_zero_and_one(string value)
    {
        var error = Fails(("    delta: 1.0e-5", $"    delta: {value}"));

        error.Message.ShouldBe($"policies/test.yaml:19:12: privacy.budget.delta must be a number greater than 0 and less than 1, got {value}");
    }

    [Fact]
    public void Noise_multiplier_minimum_must_be_positive()
    {
        var error = Fails(("  minNoiseMultiplier: 1.1", "  minNoiseMultiplier: 0"));

        error.Message.ShouldBe("policies/test.yaml:16:23: privacy.minNoiseMultiplier must be a positive number, got 0");
    }

    [Fact]
    public void Per_example_clipping_norm_must_be_positive()
    {
        var error = Fails(("  maxExampleL2Norm: 2.0", "  maxExampleL2Norm: -2"));

        error.Message.ShouldBe("policies/test.yaml:15:21: privacy.maxExampleL2Norm must be a positive number, got -2");
    }

    [Fact]
    public void Privacy_without_a_per_example_clipping_norm_is_rejected()
    {
        var error = Fails(("  maxExampleL2Norm: 2.0", "  # no per-example clipping"));

        ShouldPointAt(error, 16, 3, "privacy.maxExampleL2Norm");
        error.Message.ShouldEndWith("is required");
    }

    [Fact]
    public void Policy_written_for_noise_on_the_update_is_rejected_with_the_new_name()
    {
        // Before DP-SGD the evaluator added noise itself under privacy.noiseMultiplier; such a file must not load as
        // if nothing had changed.
        var error = Fails(("  minNoiseMultiplier: 1.1", "  noiseMultiplier: 1.1"));

        ShouldPointAt(error, 16, 3, "privacy.noiseMultiplier");
        error.Message.ShouldContain("did you mean 'minNoiseMultiplier'?");
    }

    [Fact]
    public void Negative_dimension_is_a_bad_shape()
    {
        var error = Fails(("  linear.weight: [10, 784]", "  linear.weight: [10, -784]"));

        error.Message.ShouldBe("policies/test.yaml:10:23: tensors[\"linear.weight\"][1] must be a positive integer, got -784");
    }

    [Fact]
    public void Shape_that_is_not_a_list_is_a_bad_shape()
    {
        var error = Fails(("  linear.bias: [10]", "  linear.bias: 10"));

        error.Message.ShouldBe("policies/test.yaml:11:16: tensors[\"linear.bias\"] must be a shape such as [10, 784], got 10");
    }

    [Fact]
    public void Nested_list_is_a_bad_shape()
    {
        var error = Fails(("  linear.bias: [10]", "  linear.bias: [[10]]"));

        ShouldPointAt(error, 11, 17, "tensors[\"linear.bias\"][0]");
        error.Message.ShouldEndWith("must be a positive integer, got a list");
    }

    [Fact]
    public void Duplicate_tensor_is_rejected()
    {
        var error = Fails(("  linear.bias: [10]", "  linear.weight: [10]"));

        error.Message.ShouldBe("policies/test.yaml:11:3: tensors[\"linear.weight\"] lists tensor 'linear.weight' twice (first on line 10)");
    }

    [Fact]
    public void Empty_tensor_list_is_rejected()
    {
        var error = Fails(("tensors:", "tensors: {}"), ("  linear.weight: [10, 784]", "#"), ("  linear.bias: [10]", "#"));

        error.Message.ShouldBe("policies/test.yaml:9:10: tensors must list at least one tensor");
    }

    [Fact]
    public void Duplicate_metric_is_rejected()
    {
        var error = Fails(("  loss:", "  accuracy:"));

        error.Message.ShouldBe("policies/test.yaml:24:3: metrics[\"accuracy\"] lists metric 'accuracy' twice (first on line 22)");
    }

    [Fact]
    public void Unknown_kind_is_rejected()
    {
        var error = Fails(("allow: [model-update, evaluation-metrics]", "allow: [model-update, metrics]"));

        error.Message.ShouldBe("policies/test.yaml:5:23: allow[1] must be model-update or evaluation-metrics, got metrics");
    }

    [Fact]
    public void Repeated_kind_is_rejected()
    {
        var error = Fails(("allow: [model-update, evaluation-metrics]", "allow: [model-update, model-update]"));

        error.Message.ShouldBe("policies/test.yaml:5:23: allow[1] repeats allow[0] (model-update)");
    }

    [Theory]
    [InlineData("2A141EE6B873C35BB332A897EB502593EFAE8B07B26C970F3E8A4EEF37699A73")]
    [InlineData("2a141ee6")]
    [InlineData("not-a-key")]
    public void Aggregator_key_must_be_a_lowercase_sha256_key_id(string key)
    {
        var error = Fails(($"  - {PolicyText.AggregatorKey}", $"  - {key}"));

        error.Message.ShouldBe(
            $"policies/test.yaml:7:5: aggregatorKeys[0] must be a key id: the SHA-256 of the Ed25519 public key as 64 lowercase hex digits, got {key}");
    }

    [Fact]
    public void Aggregator_key_list_may_not_be_empty()
    {
        var error = Fails(("aggregatorKeys:", "aggregatorKeys: []"), ($"  - {PolicyText.AggregatorKey}", "#"));

        error.Message.ShouldBe("policies/test.yaml:6:17: aggregatorKeys must list at least one aggregator key id");
    }

    [Theory]
    [InlineData("2027-01-01T00:00:00")]
    [InlineData("2027-01-01")]
    [InlineData("next year")]
    [InlineData("2027-13-01T00:00:00Z")]
    public void Expiry_must_be_a_date_time_with_an_offset(string value)
    {
        var error = Fails(("expires: 2027-01-01T00:00:00Z", $"expires: {value}"));

        error.Message.ShouldBe($"policies/test.yaml:4:10: expires must be a date-time with a UTC offset, e.g. 2027-01-01T00:00:00Z, got {value}");
    }

    [Theory]
    [InlineData("30 days")]
    [InlineData("30")]
    [InlineData("1w")]
    [InlineData("-30d")]
    public void Window_must_be_a_duration(string value)
    {
        var error = Fails(("    window: 30d", $"    window: {value}"));

        error.Message.ShouldBe($"policies/test.yaml:20:13: privacy.budget.window must be a duration such as 30d, 12h or 90m, got {value}");
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("3651d")]
    public void Window_must_be_positive_and_at_most_ten_years(string value)
    {
        var error = Fails(("    window: 30d", $"    window: {value}"));

        error.Message.ShouldBe($"policies/test.yaml:20:13: privacy.budget.window must be longer than zero and at most 3650d, got {value}");
    }

    [Fact]
    public void Invalid_id_is_rejected()
    {
        var error = Fails(("id: factory-1", "id: factory 1/../x"));

        ShouldPointAt(error, 1, 5, "id");
    }

    [Fact]
    public void Empty_id_is_rejected()
    {
        var error = Fails(("id: factory-1", "id:"));

        error.Message.ShouldBe("policies/test.yaml:1:4: id must be text, got nothing");
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_with_its_position()
    {
        var error = Fails(("  linear.bias: [10]", "   linear.bias: [10]"));

        error.Message.ShouldStartWith($"{PolicyText.Source}:11:");
        error.Message.ShouldContain(": is not valid YAML: ");
    }

    [Fact]
    public void Yaml_the_parser_cannot_read_fails_closed_near_the_problem()
    {
        var error = Fails(("  linear.weight: [10, 784]", "  linear.weight: [10, 784"));

        error.Message.ShouldStartWith($"{PolicyText.Source}:10:19: is not valid YAML");
    }

    [Fact]
    public void Anchors_and_aliases_are_refused()
    {
        var error = Fails(("  linear.weight: [10, 784]", "  linear.weight: &shape [10, 784]"), ("  linear.bias: [10]", "  linear.bias: *shape"));

        ShouldPointAt(error, 10, 18, null);
        error.Message.ShouldContain("anchors and aliases are not allowed");
    }

    [Fact]
    public void Explicit_tags_are_refused()
    {
        var error = Fails(("version: 3", "version: !!int 3"));

        ShouldPointAt(error, 3, 10, null);
        error.Message.ShouldContain("tags are not allowed");
    }

    [Fact]
    public void Second_document_is_refused()
    {
        var error = Fails(PolicyText.Valid + "\n---\nid: other\n");

        error.Line.ShouldBe(26);
        error.Message.ShouldContain("a policy file holds exactly one");
    }

    [Fact]
    public void Empty_file_is_refused()
    {
        Fails("# nothing here\n").Message.ShouldBe("policies/test.yaml:1:1: is empty; a policy must be a YAML mapping");
    }

    [Fact]
    public void Document_that_is_not_a_mapping_is_refused()
    {
        var error = Fails("- id: factory-1\n");

        ShouldPointAt(error, 1, 1, null);
        error.Message.ShouldStartWith("policies/test.yaml:1:1: is not a policy");
    }
}
