using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace PiCluster.Checks.Cluster;

/// <summary>
/// Reads what kubectl and kubeadm print as JSON into the small records the checks need. Every reader throws
/// <see cref="FormatException"/> when the text is not what that command prints.
/// </summary>
public static class ClusterJson
{
    /// <summary>The API server's gitVersion from <c>kubectl version -o json</c>.</summary>
    public static string ServerVersion(string json) => Read(json, "kubectl version -o json", root =>
        root.TryGetProperty("serverVersion", out var server) && Text(server, "gitVersion") is { Length: > 0 } version
            ? version
            : throw new FormatException("kubectl version printed no serverVersion.gitVersion"));

    /// <summary>The nodes of <c>kubectl get nodes -o json</c>.</summary>
    public static IReadOnlyList<RegisteredNode> Nodes(string json) => Read(json, "kubectl get nodes -o json", root => Items(root).Select(node =>
    {
        var metadata = node.GetProperty("metadata");
        var labels = Labels(metadata);
        var status = node.TryGetProperty("status", out var s) ? s : default;
        var ready = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array
            ? conditions.EnumerateArray().FirstOrDefault(c => Text(c, "type") == "Ready")
            : default;
        var readyStatus = ready.ValueKind == JsonValueKind.Object ? Text(ready, "status") : "";
        var reason = ready.ValueKind == JsonValueKind.Object
            ? string.Join(": ", new[] { readyStatus, Text(ready, "reason"), Text(ready, "message") }.Where(t => t.Length > 0))
            : "no Ready condition";
        var kubelet = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("nodeInfo", out var info) ? Text(info, "kubeletVersion") : "";
        return new RegisteredNode(Text(metadata, "name"), labels.ContainsKey("node-role.kubernetes.io/control-plane"), readyStatus == "True", reason, kubelet);
    }).ToList());

    /// <summary>The pods of <c>kubectl get pods -A -o json</c>.</summary>
    public static IReadOnlyList<ClusterPod> Pods(string json) => Read(json, "kubectl get pods -o json", root => Items(root).Select(pod =>
    {
        var metadata = pod.GetProperty("metadata");
        var owner = metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array
            ? owners.EnumerateArray().OrderByDescending(o => o.TryGetProperty("controller", out var c) && c.ValueKind == JsonValueKind.True).FirstOrDefault()
            : default;
        var spec = pod.TryGetProperty("spec", out var sp) ? sp : default;
        var status = pod.TryGetProperty("status", out var st) ? st : default;
        var phase = status.ValueKind == JsonValueKind.Object ? Text(status, "phase") : "";
        var ready = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("containerStatuses", out var containers)
            && containers.ValueKind == JsonValueKind.Array && containers.GetArrayLength() > 0
            && containers.EnumerateArray().All(c => c.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True);
        return new ClusterPod(Text(metadata, "namespace"), Text(metadata, "name"), spec.ValueKind == JsonValueKind.Object ? Text(spec, "nodeName") : "",
            phase.Length > 0 ? phase : "Unknown", ready, Labels(metadata),
            owner.ValueKind == JsonValueKind.Object ? Text(owner, "kind") : "", owner.ValueKind == JsonValueKind.Object ? Text(owner, "name") : "");
    }).ToList());

    /// <summary>
    /// The certificates and CAs of <c>kubeadm certs check-expiration -o json</c> (kind CertificateExpirationInfo of
    /// output.kubeadm.k8s.io: certificates and certificateAuthorities, each with name, expirationDate, missing).
    /// </summary>
    public static IReadOnlyList<CertificateExpiry> Certificates(string json) => Read(json, "kubeadm certs check-expiration -o json", root =>
    {
        if (Text(root, "kind") != "CertificateExpirationInfo")
            throw new FormatException("kubeadm certs check-expiration printed no CertificateExpirationInfo");
        IEnumerable<CertificateExpiry> List(string name) => root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(c => new CertificateExpiry(Text(c, "name"),
                DateTimeOffset.TryParse(Text(c, "expirationDate"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : DateTimeOffset.MinValue,
                c.TryGetProperty("missing", out var m) && m.ValueKind == JsonValueKind.True))
            : Enumerable.Empty<CertificateExpiry>();
        return List("certificates").Concat(List("certificateAuthorities")).ToList();
    });

    /// <summary>A command's error output on one line, for a Detail.</summary>
    public static string OneLine(string text) =>
        string.Join(" | ", text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static T Read<T>(string json, string what, Func<JsonElement, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{what} printed no JSON object");
            return read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{what} did not print the JSON expected: {e.Message}", e);
        }
    }

    private static IEnumerable<JsonElement> Items(JsonElement root) =>
        root.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array ? items.EnumerateArray().ToList() : throw new FormatException("no items list");

    private static IReadOnlyDictionary<string, string> Labels(JsonElement metadata) =>
        metadata.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object
            ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "")
            : new Dictionary<string, string>();

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
