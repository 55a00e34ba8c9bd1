namespace Federation.Site.Models;

/// <summary>Where a gateway gets the bytes of a model named by its hash.</summary>
public interface IModelSource
{
    /// <summary>Writes the model's bytes from <paramref name="offset"/> on to <paramref name="destination"/> (so a cut download resumes).</summary>
    Task CopyToAsync(Federation.Contracts.Messages.ModelReference model, long offset, Stream destination, CancellationToken cancellationToken);
}
