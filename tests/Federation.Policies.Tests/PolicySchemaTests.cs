using System.Text.Json;

namespace Federation.Policies.Tests;

/// <summary>policies/policy.schema.json must describe exactly what the loader accepts.</summary>
public class PolicySchemaTests
{
    private static JsonElement Schema()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(PolicyText.SchemaPath));
        return document.RootElement.Clone();
    }

    private static string[] PropertyNames(JsonElement objectSchema) =>
        [.. objectSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name)];

    private static string[] Required(JsonElement objectSchema) =>
        [.. objectSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public void Schema_is_json_schema_2020_12()
    {
        var schema = Schema();

        schema.GetProperty("$schema").GetString().ShouldBe("https://json-schema.org/draft/2020-12/schema");
        schema.GetProperty("type").GetString().ShouldBe("object");
        schema.GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public void Top_level_fields_match_the_loader()
    {
        var schema = Schema();

        PropertyNames(schema).ShouldBe(PolicyFields.Root, ignoreOrder: true);
        Required(schema).ShouldBe(PolicyFields.RootRequired, ignoreOrder: true);
    }

    [Fact]
    public void Conditional_requirements_match_the_loader()
    {
        var conditions = Schema().GetProperty("allOf").EnumerateArray()
            .ToDictionary(
                c => c.GetProperty("if").GetProperty("properties").GetProperty("allow").GetProperty("contains").GetProperty("const").GetString()!,
                c => Required(c.GetProperty("then")));

        conditions.Keys.ShouldBe([ReleaseKinds.ModelUpdateName, ReleaseKinds.EvaluationMetricsName], ignoreOrder: true);
        conditions[ReleaseKinds.ModelUpdateName].ShouldBe(PolicyFields.RequiredForModelUpdate, ignoreOrder: true);
        conditions[ReleaseKinds.EvaluationMetricsName].ShouldBe(PolicyFields.RequiredForEvaluationMetrics, ignoreOrder: true);
    }

    [Fact]
    public void Kind_names_match_the_loader()
    {
        var kinds = Schema().GetProperty("properties").GetProperty("allow").GetProperty("items").GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()!).ToArray();

        kinds.ShouldBe(Enum.GetValues<ReleaseKind>().Select(k => k.ToName()), ignoreOrder: true);
    }

    [Fact]
    public void Nested_fields_match_the_loader()
    {
        var properties = Schema().GetProperty("properties");
        var clipping = properties.GetProperty("clipping");
        var privacy = properties.GetProperty("privacy");
        var budget = privacy.GetProperty("properties").GetProperty("budget");
        var metric = properties.GetProperty("metrics").GetProperty("additionalProperties");

        foreach (var (schema, fields) in new[]
        {
            (clipping, PolicyFields.ClippingFields),
            (privacy, PolicyFields.PrivacyFields),
            (budget, PolicyFields.BudgetFields),
            (metric, PolicyFields.MetricFields),
        })
        {
            PropertyNames(schema).ShouldBe(fields, ignoreOrder: true);
            Required(schema).ShouldBe(fields, ignoreOrder: true);
            schema.GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
        }
    }

    [Fact]
    public void Task_fields_match_the_loader()
    {
        var task = Schema().GetProperty("properties").GetProperty("tasks").GetProperty("additionalProperties");

        PropertyNames(task).ShouldBe(PolicyFields.TaskFields, ignoreOrder: true);
        Required(task).ShouldBe(PolicyFields.TaskRequired, ignoreOrder: true);
        task.GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
    }
}
