using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Tensors;

public class TensorSetTests
{
    private static TensorSet Linear(int classes = 2, int inputs = 3, float fill = 0f) => new(
    [
        new Tensor("linear.weight", [classes, inputs], Enumerable.Repeat(fill, classes * inputs).ToArray()),
        new Tensor("linear.bias", [classes], Enumerable.Repeat(fill, classes).ToArray()),
    ]);

    [Fact]
    public void Set_orders_tensors_by_ordinal_name()
    {
        var set = new TensorSet([Tensor.Zeros("b", 1), Tensor.Zeros("B", 1), Tensor.Zeros("a.x", 1), Tensor.Zeros("a", 1)]);

        set.Select(t => t.Name).ShouldBe(["B", "a", "a.x", "b"]);
    }

    [Fact]
    public void Set_rejects_duplicate_names()
    {
        var error = Should.Throw<ArgumentException>(() => new TensorSet([Tensor.Zeros("w", 1), Tensor.Zeros("w", 2)]));
        error.Message.ShouldContain("duplicate tensor name 'w'");
    }

    [Fact]
    public void Set_finds_tensors_by_name()
    {
        var set = Linear();

        set["linear.bias"].Shape.ShouldBe([2]);
        set.TryGet("linear.weight", out var weight).ShouldBeTrue();
        weight.Shape.ShouldBe([2, 3]);
        set.TryGet("missing", out _).ShouldBeFalse();
        Should.Throw<KeyNotFoundException>(() => set["missing"]).Message.ShouldContain("missing tensor 'missing'");
    }

    [Fact]
    public void Element_count_sums_all_tensors()
    {
        Linear(classes: 10, inputs: 784).ElementCount.ShouldBe(7850);
    }

    [Fact]
    public void Clone_is_deep()
    {
        var original = Linear(fill: 1f);
        var copy = original.Clone();

        copy["linear.bias"].Values[0] = 42f;

        original["linear.bias"].Values[0].ShouldBe(1f);
        copy.DescribeLayoutDifference(original).ShouldBeNull();
    }

    [Fact]
    public void Zeros_like_copies_layout_with_zero_values()
    {
        var zeros = TensorSet.ZerosLike(Linear(fill: 3f));

        zeros.DescribeLayoutDifference(Linear()).ShouldBeNull();
        zeros.SelectMany(t => t.Values).ShouldAllBe(v => v == 0f);
    }

    [Fact]
    public void Add_and_subtract_work_element_wise()
    {
        var a = Linear(fill: 5f);
        var b = Linear(fill: 2f);

        a.Subtract(b)["linear.weight"].Values.ShouldAllBe(v => v == 3f);
        a.Add(b)["linear.bias"].Values.ShouldAllBe(v => v == 7f);
        a["linear.bias"].Values.ShouldAllBe(v => v == 5f);
    }

    [Fact]
    public void Add_rejects_a_different_layout()
    {
        var error = Should.Throw<ArgumentException>(() => Linear(inputs: 3).Add(Linear(inputs: 4)));
        error.Message.ShouldContain("tensor 'linear.weight' has shape [2, 4]; expected [2, 3]");
    }

    [Fact]
    public void Layout_difference_is_null_for_identical_names_and_shapes()
    {
        Linear(fill: 1f).DescribeLayoutDifference(Linear(fill: 2f)).ShouldBeNull();
    }

    [Fact]
    public void Layout_difference_names_a_shape_mismatch()
    {
        Linear(classes: 10, inputs: 783).DescribeLayoutDifference(Linear(classes: 10, inputs: 784))
            .ShouldBe("tensor 'linear.weight' has shape [10, 783]; expected [10, 784]");
    }

    [Fact]
    public void Layout_difference_names_an_unexpected_tensor()
    {
        var withExtra = new TensorSet([.. Linear(), Tensor.Zeros("x", 1)]);

        withExtra.DescribeLayoutDifference(Linear()).ShouldBe("unexpected tensor 'x'");
    }

    [Fact]
    public void Layout_difference_names_a_missing_tensor()
    {
        var withoutBias = new TensorSet([Linear()["linear.weight"]]);

        withoutBias.DescribeLayoutDifference(Linear()).ShouldBe("missing tensor 'linear.bias'");
    }

    [Fact]
    public void Non_finite_check_is_null_when_all_values_are_finite()
    {
        Linear(fill: float.MaxValue).FindNonFinite().ShouldBeNull();
    }

    [Theory]
    [InlineData(float.NaN, "tensor 'linear.bias' has NaN at index 1")]
    [InlineData(float.PositiveInfinity, "tensor 'linear.bias' has Infinity at index 1")]
    [InlineData(float.NegativeInfinity, "tensor 'linear.bias' has -Infinity at index 1")]
    public void Non_finite_check_names_tensor_value_and_index(float bad, string expected)
    {
        var set = Linear();
        set["linear.bias"].Values[1] = bad;

        set.FindNonFinite().ShouldBe(expected);
    }

    [Fact]
    public void L2_norm_covers_all_tensors()
    {
        var set = new TensorSet([new Tensor("a", [2], [3f, 0f]), new Tensor("b", [1], [4f])]);

        set.L2Norm().ShouldBe(5.0);
    }
}
