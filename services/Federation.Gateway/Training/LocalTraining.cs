using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using Federation.Trust;

namespace Federation.Gateway.Training;

/// <summary>Turns a round announcement into this gateway's signed contribution.</summary>
public static class LocalTraining
{
    /// <summary>
    /// Trains the announced base model on the gateway's local data and returns the signed
    /// update (local weights minus base weights). Only tensors and the manifest leave the node.
    /// </summary>
    /// <exception cref="InvalidDataException">The announced model does not match its announced hash.</exception>
    /// <exception cref="SafeTensorsFormatException">The announced model is not readable.</exception>
    public static ContributionSubmitted Contribute(this GatewayNode gateway, RoundAnnounced round)
    {
        var baseModel = AnnouncedModel.Read(round.BaseModel, round.BaseModelSha256, $"Round {round.Round}'s base model");
        var spec = ModelSpec.FromParameters(baseModel);
        var options = new TrainingOptions(
            round.Training.Epochs,
            round.Training.BatchSize,
            (float)round.Training.LearningRate,
            StableSeed.For(round.Training.Seed, round.Round, gateway.Id))
        {
            ProximalMu = (float)round.Training.ProximalMu,
        };
        var trained = SgdTrainer.Train(spec, baseModel, gateway.Data.Training, options);
        var payload = SafeTensors.Write(trained.Subtract(baseModel));

        var manifest = new ContributionManifest(
            DocumentTypes.ContributionManifest,
            gateway.Id,
            gateway.KeyId,
            round.Round,
            round.BaseModelSha256,
            Sha256Hex.Of(payload),
            payload.Length,
            gateway.Data.Training.Count,
            gateway.NextSequence(),
            gateway.Policy.Hash,
            gateway.Now());
        var (json, signature) = gateway.Sign(manifest);
        return new ContributionSubmitted(json, signature, payload);
    }
}
