using Federation.Learning.Models;
using Federation.Learning.Tensors;

namespace Federation.Site.Training;

/// <summary>What the gateway's own trainers need of a model: one of the built-in layouts (logistic regression or MLP).</summary>
public static class BuiltInModel
{
    /// <summary>The built-in architecture of <paramref name="model"/>.</summary>
    /// <param name="model">The announced or published model.</param>
    /// <param name="source">The trainer that needs it, for the reason.</param>
    /// <returns>Its spec.</returns>
    /// <exception cref="LocalTrainingException">
    /// The model is of another layout (a model team's own network): only an external trainer can train or evaluate it.
    /// </exception>
    public static ModelSpec SpecOf(TensorSet model, string source) =>
        ModelSpec.TryFromParameters(model, out var reason)
        ?? throw new LocalTrainingException(
            $"the model is not one of the built-in layouts ({reason}); trainer {source} reads only those, so a task with its own network needs an external trainer (Source=external)");
}
