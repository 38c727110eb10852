using System;
using System.IO;
using System.Linq;
using PiCluster.ControlPlane;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace PiCluster.Tests.ControlPlane;

public class KubeconfigMergeTests
{
    // The shape kubeadm init writes to /etc/kubernetes/admin.conf (base64 shortened).
    private const string AdminConf =
        """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJMk1USXdNVEl3TURBd01Gb1hEVE0yTVRFeU9USXdNREF3TUZvd0ZURVRNQkVHQTFVRQpBeE1LYTNWaVpYSnVaWFJsY3pDQ0FTSXdEUVlKS29aSWh2Y05BUUVCQlFBRGdnRVBBRENDQVFvQ2dnRUJBTlhzCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
            server: https://192.168.1.201:6443
          name: homelab
        contexts:
        - context:
            cluster: homelab
            user: kubernetes-admin
          name: kubernetes-admin@homelab
        current-context: kubernetes-admin@homelab
        kind: Config
        preferences: {}
        users:
        - name: kubernetes-admin
          user:
            client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURLVENDQWhHZ0F3SUJBZ0lJYWRtaW4K
            client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBa2V5Cg==

        """;

    // A user's ~/.kube/config with another cluster, comments and a field PiCluster does not know.
    private const string WorkEntries =
        """
        - cluster:
            certificate-authority-data: V09SSy1DQQ==
            server: https://work.example.org:443
          name: work
        """;

    private static readonly string Existing =
        "apiVersion: v1\n" +
        "# managed by hand\n" +
        "clusters:\n" + WorkEntries.Replace("\r\n", "\n") + "\n" +
        "contexts:\n" +
        "- context:\n    cluster: work\n    namespace: payments\n    user: work-sso\n  name: work\n" +
        "current-context: work\n" +
        "kind: Config\n" +
        "preferences:\n  colors: true\n" +
        "users:\n" +
        "- name: work-sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args:\n      - get-token\n      interactiveMode: IfAvailable\n" +
        "extensions:\n- name: my-tool\n  extension:\n    enabled: true\n";

    private static readonly KubeconfigMergeOptions Homelab = new("homelab");

    private static YamlMappingNode Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Entry(YamlMappingNode root, string section, string name) =>
        ((YamlSequenceNode)root[section]).Children.Cast<YamlMappingNode>().Single(i => ((YamlScalarNode)i["name"]).Value == name);

    private static string Value(YamlNode node, params string[] path)
    {
        foreach (var key in path) node = ((YamlMappingNode)node)[key];
        return ((YamlScalarNode)node).Value!;
    }

    [Fact]
    public void WithoutAFileTheClustersEntriesMakeANewOne()
    {
        var result = KubeconfigMerge.Merge(AdminConf, null, Homelab);
        Assert.Equal(KubeconfigMergeStatus.Created, result.Status);
        var root = Parse(result.Text);
        Assert.Equal("homelab", Value(root, "current-context"));
        Assert.Equal("https://192.168.1.201:6443", Value(Entry(root, "clusters", "homelab"), "cluster", "server"));
        Assert.Equal(("homelab", "homelab-admin"), (Value(Entry(root, "contexts", "homelab"), "context", "cluster"), Value(Entry(root, "contexts", "homelab"), "context", "user")));
        Assert.StartsWith("LS0tLS1CRUdJTiBSU0Eg", Value(Entry(root, "users", "homelab-admin"), "user", "client-key-data"));
        Assert.StartsWith("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0t", result.Text);
        Assert.Equal(KubeconfigMergeStatus.Created, KubeconfigMerge.Merge(AdminConf, "", Homelab).Status);
    }

    [Fact]
    public void AnUnrelatedContextSurvivesByteForByteAndKeepsBeingCurrent()
    {
        var result = KubeconfigMerge.Merge(AdminConf, Existing, Homelab);
        Assert.Equal(KubeconfigMergeStatus.Changed, result.Status);
        Assert.True(result.PreservedLayout);
        // Every line of the old file is still there, in order: only lines were added.
        var old = Existing.Split('\n');
        var merged = result.Text.Split('\n').ToList();
        var at = 0;
        foreach (var line in old)
        {
            at = merged.IndexOf(line, at);
            Assert.True(at >= 0, $"line lost: {line}");
            at++;
        }
        Assert.Contains(WorkEntries.Replace("\r\n", "\n"), result.Text);
        Assert.Contains("current-context: work\n", result.Text);
        Assert.Equal(new[] { "cluster homelab added", "context homelab added", "user homelab-admin added" }, result.Changes);

        var root = Parse(result.Text);
        Assert.Equal("payments", Value(Entry(root, "contexts", "work"), "context", "namespace"));
        Assert.Equal("kubelogin", Value(Entry(root, "users", "work-sso"), "user", "exec", "command"));
        Assert.Equal("true", Value(root, "preferences", "colors"));
        Assert.Equal("my-tool", Value(((YamlSequenceNode)root["extensions"]).Children[0], "name"));
        Assert.Equal("homelab-admin", Value(Entry(root, "contexts", "homelab"), "context", "user"));
    }

    [Fact]
    public void ASecondMergeIsUnchanged()
    {
        var once = KubeconfigMerge.Merge(AdminConf, Existing, Homelab).Text;
        var twice = KubeconfigMerge.Merge(AdminConf, once, Homelab);
        Assert.Equal(KubeconfigMergeStatus.Unchanged, twice.Status);
        Assert.Same(once, twice.Text);
        Assert.Empty(twice.Changes);
        Assert.Equal("", twice.Diff("~/.kube/config", once));
    }

    [Fact]
    public void ARenewedCertificateReplacesOnlyTheClustersOwnUser()
    {
        var once = KubeconfigMerge.Merge(AdminConf, Existing, Homelab).Text;
        var renewed = KubeconfigMerge.Merge(AdminConf.Replace("a2V5Cg==", "bmV3Cg=="), once, Homelab);
        Assert.Equal(new[] { "user homelab-admin updated" }, renewed.Changes);
        Assert.True(renewed.PreservedLayout);
        var diff = renewed.Diff("/home/pi/.kube/config", once);
        Assert.Single(diff.Split('\n'), l => l.StartsWith("-  ", StringComparison.Ordinal) || (l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal)));
        Assert.Equal(once.Split('\n').Length, renewed.Text.Split('\n').Length);
    }

    [Fact]
    public void ServerIsRewrittenAndTheContextSwitchedOnRequest()
    {
        var result = KubeconfigMerge.Merge(AdminConf, Existing, new KubeconfigMergeOptions("homelab", Server: "https://127.0.0.1:16443", SwitchContext: true));
        var root = Parse(result.Text);
        Assert.Equal("https://127.0.0.1:16443", Value(Entry(root, "clusters", "homelab"), "cluster", "server"));
        Assert.Equal("homelab", Value(root, "current-context"));
        Assert.Contains("current-context switched from work to homelab", result.Changes);
        Assert.Throws<KubeconfigException>(() => KubeconfigMerge.Merge(AdminConf, Existing, new KubeconfigMergeOptions("homelab", Server: "http://vip:6443")));
    }

    [Fact]
    public void AnEmptyCurrentContextIsSet()
    {
        var result = KubeconfigMerge.Merge(AdminConf, Existing.Replace("current-context: work\n", "current-context: \"\"\n"), Homelab);
        Assert.Equal("homelab", Value(Parse(result.Text), "current-context"));
        Assert.True(result.PreservedLayout);
    }

    [Fact]
    public void IndentedListsAndCrlfAreFollowed()
    {
        // Every list item two spaces in (as some tools write), and Windows line ends.
        var indented = string.Join("\n", Existing.Split('\n').Select(l => l.StartsWith("- ", StringComparison.Ordinal) || (l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("  colors", StringComparison.Ordinal)) ? "  " + l : l)).Replace("\n", "\r\n");
        var result = KubeconfigMerge.Merge(AdminConf, indented, Homelab);
        Assert.True(result.PreservedLayout);
        Assert.Contains("\r\n  - cluster:\r\n      certificate-authority-data: LS0t", result.Text);
        Assert.DoesNotContain("\r\r", result.Text);
        Assert.DoesNotContain(result.Text.Replace("\r\n", ""), c => c == '\n');
        Assert.Equal("https://192.168.1.201:6443", Value(Entry(Parse(result.Text), "clusters", "homelab"), "cluster", "server"));
    }

    [Fact]
    public void FlowStyleFilesAreRewrittenWithTheSameContent()
    {
        var flow = "apiVersion: v1\nkind: Config\nclusters: [{name: work, cluster: {server: 'https://work:443', insecure-skip-tls-verify: true}}]\ncontexts: []\nusers: []\ncurrent-context: work\n";
        var result = KubeconfigMerge.Merge(AdminConf, flow, Homelab);
        Assert.False(result.PreservedLayout);
        var root = Parse(result.Text);
        Assert.Equal("https://work:443", Value(Entry(root, "clusters", "work"), "cluster", "server"));
        var insecure = (YamlScalarNode)((YamlMappingNode)Entry(root, "clusters", "work")["cluster"])["insecure-skip-tls-verify"];
        Assert.Equal(("true", YamlDotNet.Core.ScalarStyle.Plain), (insecure.Value, insecure.Style));
        Assert.Equal("work", Value(root, "current-context"));
        Assert.Equal(KubeconfigMergeStatus.Unchanged, KubeconfigMerge.Merge(AdminConf, result.Text, Homelab).Status);
    }

    [Fact]
    public void MissingSectionsAreAddedAtTheEnd()
    {
        var result = KubeconfigMerge.Merge(AdminConf, "apiVersion: v1\nkind: Config\npreferences: {}\n", Homelab);
        Assert.True(result.PreservedLayout);
        Assert.StartsWith("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- cluster:\n", result.Text);
        Assert.EndsWith("current-context: homelab\n", result.Text);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Config\n")]
    [InlineData("clusters:\n- name: other\n  cluster: {server: https://x}\n")]
    [InlineData("- not: a kubeconfig\n")]
    public void UnusableAdminConfIsRefused(string adminConf) =>
        Assert.Throws<KubeconfigException>(() => KubeconfigMerge.Merge(adminConf, null, Homelab));

    [Theory]
    [InlineData("- a\n- b\n")]
    [InlineData("clusters: [\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    public void AnExistingFileThatIsNotAKubeconfigIsRefusedUntouched(string existing)
    {
        var error = Assert.Throws<KubeconfigException>(() => KubeconfigMerge.Merge(AdminConf, existing, Homelab));
        Assert.Contains("nothing was changed", error.Message);
    }

    [Fact]
    public void SummarizeNamesTheClusterAndServerAndListsTheCredentialValues()
    {
        var summary = KubeconfigMerge.Summarize(AdminConf);
        Assert.Equal(("homelab", "https://192.168.1.201:6443"), (summary.ClusterName, summary.Server));
        Assert.Equal(new[] { "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURLVENDQWhHZ0F3SUJBZ0lJYWRtaW4K", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBa2V5Cg==" },
            summary.Secrets);
        Assert.Throws<KubeconfigException>(() => KubeconfigMerge.Summarize("apiVersion: v1\nkind: Config\n"));
    }

    [Theory]
    [InlineData("+    client-key-data: QUJD\n", "+    client-key-data: ********\n")]
    [InlineData("-    client-certificate-data: QUJD\n", "-    client-certificate-data: ********\n")]
    [InlineData("     token: abc.def\n", "     token: ********\n")]
    [InlineData("+  - password: \"p w\"\n", "+  - password: ********\n")]
    [InlineData("+    \"refresh-token\": x\r\n", "+    \"refresh-token\": ********\n")]
    [InlineData("+    certificate-authority-data: QUJD\n", "+    certificate-authority-data: QUJD\n")]
    [InlineData("+    tokenFile: /var/run/token\n", "+    tokenFile: /var/run/token\n")]
    [InlineData("--- a/token: x\n+++ b/token: x\n", "--- a/token: x\n+++ b/token: x\n")]
    public void RedactCredentialsMasksOnlyCredentialValues(string diff, string expected) =>
        Assert.Equal(expected, KubeconfigMerge.RedactCredentials(diff));

    [Theory]
    [InlineData(null, true)]
    [InlineData("https://k8s.lan:6443", true)]
    [InlineData("https://[fd00::10]:6443", true)]
    [InlineData("http://k8s.lan:6443", false)]
    [InlineData("k8s.lan:6443", false)]
    [InlineData("https://", false)]
    public void ServerMustBeAnHttpsUrl(string? server, bool usable) =>
        Assert.Equal(usable, KubeconfigMerge.ServerProblem(server) is null);
}
