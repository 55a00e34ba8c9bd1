using Federation.Learning.Tensors;

namespace Federation.Learning.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void Tensor_holds_name_shape_and_row_major_values()
    {
        var tensor = new Tensor("linear.weight", [2, 3], [1, 2, 3, 4, 5, 6]);

        tensor.Name.ShouldBe("linear.weight");
        tensor.Shape.ShouldBe([2, 3]);
        tensor.ElementCount.ShouldBe(6);
        tensor.Values[4].ShouldBe(5f);
    }

    [Fact]
    public void Tensor_rejects_values_that_do_not_fill_the_shape()
    {
        var error = Should.Throw<ArgumentException>(() => new Tensor("linear.bias", [10], new float[9]));
        error.Message.ShouldContain("tensor 'linear.bias' has shape [10], which needs 10 values, but 9 were given");
    }

    [Fact]
    public void Tensor_rejects_negative_dimensions()
    {
        Should.Throw<ArgumentException>(() => new Tensor("x", [-1, 0], []));
    }

    [Fact]
    public void Tensor_with_empty_shape_is_a_scalar()
    {
        new Tensor("step", [], [7f]).ElementCount.ShouldBe(1);
    }

    [Fact]
    public void Tensor_copies_its_shape_so_callers_cannot_break_it()
    {
        int[] shape = [2];
        var tensor = new Tensor("b", shape, new float[2]);

        shape[0] = 5;

        tensor.Shape.ShouldBe([2]);
    }

    [Fact]
    public void Zeros_creates_a_zero_filled_tensor_of_the_shape()
    {
        var tensor = Tensor.Zeros("hidden.weight", 4, 3);

        tensor.Values.Length.ShouldBe(12);
        tensor.Values.ShouldAllBe(v => v == 0f);
    }
}
