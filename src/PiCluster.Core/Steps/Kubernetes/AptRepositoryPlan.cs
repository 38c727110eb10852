using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// The part of a plan that sets up a signed apt repository: the keyring (written from a local key file, or
/// downloaded and dearmored on the node) and the sources file. Shared by the Kubernetes packages and CRI-O.
/// </summary>
public sealed class AptRepositoryPlan
{
    private AptRepositoryPlan(AptRepository repository, FileEdit? key, FileEdit? sources, bool fetchKey)
    {
        Repository = repository;
        Key = key;
        Sources = sources;
        FetchKey = fetchKey;
    }

    /// <summary>The repository.</summary>
    public AptRepository Repository { get; }

    /// <summary>The keyring write for a local key file, when it differs.</summary>
    public FileEdit? Key { get; }

    /// <summary>The sources file write, when it differs.</summary>
    public FileEdit? Sources { get; }

    /// <summary>Whether the node downloads the key (URL keys: when the keyring is missing or the sources change).</summary>
    public bool FetchKey { get; }

    /// <summary>Whether anything about the repository changes (so apt's lists need a refresh).</summary>
    public bool IsNeeded => Key is not null || Sources is not null || FetchKey;

    /// <summary>Plans from the current sources file and keyring (null when missing); adds the changes to <paramref name="changes"/>.</summary>
    public static AptRepositoryPlan Create(PiNode node, AptRepository repository, byte[]? currentSources, byte[]? currentKeyring, List<Change> changes)
    {
        var sources = FileEdit.ToText(repository.SourcesPath, currentSources, SourcesFile(repository));
        FileEdit? key = null;
        var fetchKey = false;
        if (repository.KeyIsUrl)
        {
            // The sources file names the key's source, so a new key location shows as a sources change too.
            fetchKey = currentKeyring is null || sources.IsNeeded;
            if (fetchKey) changes.Add(new Change($"download the signing key {repository.Key} and dearmor it into {repository.KeyringPath}"));
        }
        else
        {
            key = new FileEdit(repository.KeyringPath, currentKeyring, ReadLocalKey(node, repository));
            if (key.IsNeeded) changes.Add(new Change($"write the signing key from {repository.Key} (dearmored) to {repository.KeyringPath}"));
            else key = null;
        }
        if (sources.IsNeeded)
            changes.Add(sources.ToChange($"{(sources.Before is null ? "add" : "update")} the {repository.Name} repository in {repository.SourcesPath}"));
        return new AptRepositoryPlan(repository, key, sources.IsNeeded ? sources : null, fetchKey);
    }

    /// <summary>The sources file: the entry, with the key's source in its comment.</summary>
    public static string SourcesFile(AptRepository repository) =>
        $"# {repository.Name} packages, signed by the key from {PackageSource.Printable(repository.Key)}. Managed by PiCluster.\n{repository.SourcesLine}\n";

    /// <summary>Variables for k8s-repo.sh: the repository, the file writes (an inline key, the sources file), and whether to list kubeadm's versions after.</summary>
    public Dictionary<string, string> Variables(IEnumerable<string> prerequisites, bool listKubeadmVersions = false) => new()
    {
        [FileEdit.WritesVariable] = FileEdit.WriteRequest(new[] { Key, Sources }.OfType<FileEdit>()),
        ["PICLUSTER_MADISON"] = listKubeadmVersions ? "yes" : "no",
        ["PICLUSTER_SOURCES"] = Repository.SourcesPath,
        ["PICLUSTER_KEYRING"] = Repository.KeyringPath,
        ["PICLUSTER_REPO_URL"] = Repository.Url,
        ["PICLUSTER_PREREQS"] = string.Join(" ", prerequisites),
        ["PICLUSTER_KEY_URL"] = FetchKey ? Repository.Key : "",
        ["PICLUSTER_KEY_FINGERPRINT"] = Repository.KeyFingerprint ?? "",
        ["PICLUSTER_KEY_MAX_BYTES"] = PackageSource.MaxKeyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static byte[] ReadLocalKey(PiNode node, AptRepository repository)
    {
        try { return PackageSource.ReadKeyFile(repository.Key, $"the repository key '{repository.Key}'", repository.KeyFingerprint); }
        catch (FormatException e)
        {
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: {e.Message}", e);
        }
    }
}
