using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Site;

/// <summary>Reads a model the aggregator announced, only after checking it is the model it claims to be.</summary>
internal static class AnnouncedModel
{
    /// <exception cref="InvalidDataException">The bytes do not hash to the announced SHA-256.</exception>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a readable safetensors file.</exception>
    public static TensorSet Read(byte[] bytes, string announcedSha256, string description)
    {
        var actualSha256 = Sha256Hex.Of(bytes);
        return actualSha256 == announcedSha256
            ? SafeTensors.Read(bytes)
            : throw new InvalidDataException($"{description} was announced as {announcedSha256} but its bytes hash to {actualSha256}; not using it.");
    }

    /// <summary>A v1 announcement, from before tasks, is one of task <c>default</c> with its model inline.</summary>
    public static RoundAnnouncedV2 Upcast(RoundAnnounced round) =>
        new(TaskIds.Default, round.Round, round.BaseModelVersion, new ModelReference(round.BaseModelSha256, round.BaseModel.LongLength), round.Training, round.Invited, round.Deadline);

    /// <summary>A v1 model announcement, from before tasks, is one of task <c>default</c> with its model inline.</summary>
    public static ModelPublishedV2 Upcast(ModelPublished model) =>
        new(TaskIds.Default, model.Version, new ModelReference(model.ModelSha256, model.Model.LongLength), model.Round);

    /// <summary>Whether <paramref name="task"/> is the task of histories from before tasks, whose signed documents keep their v1 bytes.</summary>
    public static bool IsDefault(string task) => task == TaskIds.Default;

    /// <summary>A decision's subject: as before tasks for task <c>default</c> ("round 3"), else prefixed by the task.</summary>
    public static string Subject(string task, string what) => IsDefault(task) ? what : $"task {task} {what}";
}
