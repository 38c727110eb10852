using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PiCluster.Transport;
using PiCluster.Engine;

namespace PiCluster.Steps.Runtime;

/// <summary>
/// Brings <c>/etc/containerd/config.toml</c> to what kubelet needs: the runc runtime with the systemd cgroup driver,
/// the pause (sandbox) image kubeadm expects, and the CRI plugin enabled. Only those keys are touched; everything else
/// in the file (the user's registry mirrors, comments, order) stays as it was.
/// Handles config version 1 (no version key, containerd 1.x), 2 (containerd 1.x) and 3 (containerd 2.x).
/// </summary>
public static class ContainerdConfig
{
    /// <summary>The file's path on the node.</summary>
    public const string Path = "/etc/containerd/config.toml";

    /// <summary>The result of <see cref="Apply"/>: the new text and what changed, one line per change.</summary>
    public sealed class Edit
    {
        internal Edit(string text, IReadOnlyList<string> changes, int version)
        {
            Text = text;
            Changes = changes;
            Version = version;
        }

        /// <summary>The file's new content (the same text when nothing changed).</summary>
        public string Text { get; }

        /// <summary>What was changed, in words; empty when the file already was as needed.</summary>
        public IReadOnlyList<string> Changes { get; }

        /// <summary>The config version the file is in.</summary>
        public int Version { get; }

        /// <summary>Whether anything changed.</summary>
        public bool Changed => Changes.Count > 0;
    }

    private static readonly string[] CriPluginIds = { "cri", "io.containerd.grpc.v1.cri" };
    private static readonly string[] CriPluginIdsV3 = { "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images" };

    /// <summary>Edits a config text.</summary>
    /// <param name="text">The current file, or <c>containerd config default</c>'s output for a fresh node.</param>
    /// <param name="sandboxImage">The pause image, e.g. registry.k8s.io/pause:3.10.1.</param>
    /// <param name="containerdMajor">The installed containerd's major version (1 or 2): picks the version for a file without one.</param>
    /// <exception cref="NodeException">The file uses a shape this editor will not rewrite safely.</exception>
    public static Edit Apply(string text, string sandboxImage, int containerdMajor)
    {
        var doc = new TomlLines(text);
        var changes = new List<string>();
        var hasPluginTables = doc.HasAnythingUnder(new[] { "plugins" });
        var versionEntry = doc.FindKey(new[] { "version" });
        int version;
        if (versionEntry is not null)
        {
            if (!int.TryParse(versionEntry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version < 1 || version > 3)
                throw Unsupported($"its 'version = {versionEntry.Value}' is not a containerd config version PiCluster knows (1, 2 or 3)");
        }
        else if (hasPluginTables)
        {
            version = 1;
            if (containerdMajor >= 2)
                throw Unsupported("it is a version 1 config (no 'version' key), which containerd 2 no longer reads; migrate it with 'containerd config migrate'");
        }
        else
        {
            // Only top-level keys (Docker's package ships just disabled_plugins = ["cri"]): safe to declare the current format.
            version = containerdMajor >= 2 ? 3 : 2;
            doc.InsertRootKey("version", version.ToString(CultureInfo.InvariantCulture));
            changes.Add($"declare config version {version}");
        }

        var quote = version == 3 ? '\'' : '"';
        var cri = version switch
        {
            1 => new[] { "plugins", "cri" },
            2 => new[] { "plugins", "io.containerd.grpc.v1.cri" },
            _ => new[] { "plugins", "io.containerd.cri.v1.runtime" },
        };
        var runcOptions = cri.Concat(new[] { "containerd", "runtimes", "runc", "options" }).ToArray();
        var (sandboxTable, sandboxKey) = version == 3
            ? (new[] { "plugins", "io.containerd.cri.v1.images", "pinned_images" }, "sandbox")
            : (cri, "sandbox_image");

        // CRI enabled: drop it from disabled_plugins, keep any other disabled plugin.
        var disabled = doc.FindKey(new[] { "disabled_plugins" });
        if (disabled is not null)
        {
            var items = TomlLines.ParseStringArray(disabled.Value)
                ?? throw Unsupported("its disabled_plugins is not a plain list of strings");
            var criIds = version == 3 ? CriPluginIds.Concat(CriPluginIdsV3).ToArray() : CriPluginIds;
            var removed = items.Where(i => criIds.Contains(i, StringComparer.Ordinal)).ToList();
            if (removed.Count > 0)
            {
                var kept = items.Where(i => !removed.Contains(i, StringComparer.Ordinal)).Select(i => TomlLines.Quote(i, quote));
                doc.ReplaceValue(disabled, "[" + string.Join(", ", kept) + "]");
                changes.Add($"enable the CRI plugin (remove {string.Join(", ", removed.Select(r => "\"" + r + "\""))} from disabled_plugins)");
            }
        }

        SetIfDifferent(doc, runcOptions, "SystemdCgroup", "true", current => current == "true", quote, changes,
            current => current is null ? "set SystemdCgroup = true (systemd cgroup driver, as kubelet uses)" : $"set SystemdCgroup = true (was {current})");
        var imageLiteral = TomlLines.Quote(sandboxImage, quote);
        SetIfDifferent(doc, sandboxTable, sandboxKey, imageLiteral,
            current => TomlLines.ParseString(current) == sandboxImage, quote, changes,
            current => current is null ? $"set the sandbox image to {sandboxImage}" : $"set the sandbox image to {sandboxImage} (was {TomlLines.ParseString(current) ?? current})");

        return new Edit(doc.ToString(), changes, version);
    }

    /// <summary>Reads the settings that matter from a config text, for verification and reports.</summary>
    public static (bool systemdCgroup, string? sandboxImage, bool criDisabled) Read(string text)
    {
        var doc = new TomlLines(text);
        var versionEntry = doc.FindKey(new[] { "version" });
        var version = versionEntry?.Value.Trim() switch { "3" => 3, "2" => 2, null => doc.HasAnythingUnder(new[] { "plugins" }) ? 1 : 2, _ => 2 };
        string[] cri = version switch
        {
            1 => new[] { "plugins", "cri" },
            2 => new[] { "plugins", "io.containerd.grpc.v1.cri" },
            _ => new[] { "plugins", "io.containerd.cri.v1.runtime" },
        };
        var systemd = doc.FindKey(cri.Concat(new[] { "containerd", "runtimes", "runc", "options", "SystemdCgroup" }).ToArray())?.Value == "true";
        var sandbox = version == 3
            ? doc.FindKey(new[] { "plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox" })
            : doc.FindKey(cri.Concat(new[] { "sandbox_image" }).ToArray());
        var disabled = doc.FindKey(new[] { "disabled_plugins" });
        var disabledItems = disabled is null ? new List<string>() : TomlLines.ParseStringArray(disabled.Value) ?? new List<string>();
        var criDisabled = disabledItems.Any(i => CriPluginIds.Contains(i) || (version == 3 && CriPluginIdsV3.Contains(i)));
        return (systemd, sandbox is null ? null : TomlLines.ParseString(sandbox.Value), criDisabled);
    }

    private static void SetIfDifferent(TomlLines doc, IReadOnlyList<string> table, string key, string literal,
        Func<string, bool> isWanted, char quote, List<string> changes, Func<string?, string> describe)
    {
        var path = table.Concat(new[] { key }).ToList();
        var current = doc.FindKey(path);
        if (current is not null && isWanted(current.Value)) return;
        if (current is null && doc.FindInlineParent(path) is { } inline)
            throw Unsupported($"'{string.Join(".", inline.Path)}' is an inline table; PiCluster will not rewrite it. Write it as a [table] section");
        doc.SetKey(table, key, literal, quote);
        changes.Add(describe(current?.Value));
    }

    private static NodeException Unsupported(string why) =>
        new(NodeErrorKind.InvalidNodeState, $"{Path} cannot be updated safely: {why}.");
}
