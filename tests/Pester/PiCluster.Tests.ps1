#Requires -Version 7.4
# Pester 5 tests of the module surface, run against the layout `dotnet build` makes at the repository root.
# Run: tests/Pester/run.ps1 (see there); `dotnet test PiCluster.sln` runs it. Tests tagged Lab need the lab's cluster
# file in $env:PICLUSTER_LAB_CLUSTER (the xUnit lab tests set it) and fail without it.

BeforeDiscovery {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $RepoRoot 'PiCluster.psd1') -Force
    $script:CommandNames = @((Get-Command -Module PiCluster -CommandType Cmdlet).Name | Sort-Object)
}

BeforeAll {
    $RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $ManifestPath = Join-Path $RepoRoot 'PiCluster.psd1'
    $Manifest = Import-PowerShellDataFile $ManifestPath
    Import-Module $ManifestPath -Force

    $ClusterYaml = @'
name: pester
kubernetes:
  version: "1.34"
ssh:
  user: pi
nodes:
  - name: cp1
    address: 127.0.0.1
    role: control-plane
    ssh: { port: 2201 }
  - name: worker1
    address: 127.0.0.1
    role: worker
    ssh: { port: 2202 }
  - name: worker2
    address: 127.0.0.1
    role: worker
    ssh: { port: 2203 }
'@
    $ClusterFile = Join-Path $TestDrive 'cluster.yaml'
    Set-Content -Path $ClusterFile -Value $ClusterYaml
}

AfterAll {
    Remove-Module PiCluster -ErrorAction SilentlyContinue
}

Describe 'The PiCluster module' {
    It 'imports from the built layout with the manifest version' {
        $module = Get-Module PiCluster
        $module | Should -Not -BeNullOrEmpty
        $module.Version | Should -Be ([version]$Manifest.ModuleVersion)
        $module.ModuleBase | Should -Be $RepoRoot
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $exported = @((Get-Command -Module PiCluster).Name | Sort-Object)
        $exported | Should -Be @($Manifest.CmdletsToExport | Sort-Object)
    }

    It 'loads PiCluster.Core and YamlDotNet in its own load context' {
        Get-PiNode -Path $ClusterFile | Out-Null   # reading a cluster file needs both
        $dependencies = Join-Path $RepoRoot 'bin' 'Dependencies'
        foreach ($name in 'PiCluster.Core', 'YamlDotNet') {
            $assembly = [AppDomain]::CurrentDomain.GetAssemblies() |
                Where-Object { $_.GetName().Name -eq $name -and [System.IO.Path]::GetDirectoryName($_.Location) -eq $dependencies } |
                Select-Object -First 1
            $assembly | Should -Not -BeNullOrEmpty -Because "$name is loaded from bin/Dependencies"
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($assembly).Name | Should -Be 'PiCluster'
        }
    }

    It 'has the about_PiCluster topic' {
        Get-Help about_PiCluster | Out-String | Should -Match 'about_PiCluster'
    }
}

Describe 'Help for <_>' -ForEach $CommandNames {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
    }

    It 'has a written synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML help, PowerShell makes the synopsis from the syntax.
        $help.Synopsis | Should -Not -BeLike "$name *"
    }

    It 'has a description and an example' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'documents every parameter' {
        $expected = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $documented = @($help.Parameters.Parameter | ForEach-Object { $_.Name } | Sort-Object)
        $documented | Should -Be $expected
        foreach ($parameter in $help.Parameters.Parameter) {
            ($parameter.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
        }
    }
}

Describe 'New-PiNode' {
    It 'builds a node from parameters' {
        $node = New-PiNode -Name n1 -Address 127.0.0.1 -Role ControlPlane -User pi -Port 2222
        $node.GetType().FullName | Should -Be 'PiCluster.Engine.PiNode'
        $node.Name | Should -Be 'n1'
        "$($node.Role)" | Should -Be 'ControlPlane'
        $node.Port | Should -Be 2222
        $node.LanAddress | Should -Be '127.0.0.1'
    }
}

Describe 'Get-PiNode' {
    It 'reads the nodes of a cluster file in file order' {
        $nodes = @(Get-PiNode -Path $ClusterFile)
        $nodes.Name | Should -Be @('cp1', 'worker1', 'worker2')
        # PiCluster's types live in the module's own load context, which PowerShell type literals do not search:
        # compare type names as strings.
        $nodes[0].GetType().FullName | Should -Be 'PiCluster.Engine.PiNode'
        "$($nodes[0].Role)" | Should -Be 'ControlPlane'
        $nodes[0].Port | Should -Be 2201
        $nodes[0].User | Should -Be 'pi'
    }

    It 'selects nodes by wildcard' {
        (Get-PiNode $ClusterFile -Name 'worker*').Name | Should -Be @('worker1', 'worker2')
    }

    It 'writes NodeNotFound for a plain name that matches nothing' {
        $result = Get-PiNode $ClusterFile -Name 'nosuchnode' -ErrorVariable missing -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'NodeNotFound,*'
    }

    It 'completes -Name from the file in -Path' {
        $line = "Get-PiNode -Path '$ClusterFile' -Name wor"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Be @('worker1', 'worker2')
    }

    It 'formats nodes as a table' {
        Get-PiNode $ClusterFile | Format-Table | Out-String | Should -Match 'Name\s+Role\s+Address'
    }
}

Describe 'An invalid cluster file' {
    BeforeAll {
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content -Path $bad -Value ($ClusterYaml -replace 'role: worker', 'role: boss' -replace 'name: worker2', 'name: worker_2')
    }

    It 'stops Get-PiNode with one error listing every problem as file:line:column' {
        $err = { Get-PiNode -Path $bad } | Should -Throw -ErrorId 'ClusterFileInvalid*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $message = $err.ToString()
        $message | Should -Match 'bad\.yaml:\d+:\d+:'
        @([regex]::Matches($message, 'bad\.yaml:\d+:\d+:')).Count | Should -BeGreaterOrEqual 3
    }

    It 'stops a node cmdlet before it contacts any node' {
        # The nodes of this file listen nowhere: any contact would show as NodeUnreachable errors, not ClusterFileInvalid.
        { Test-PiNode -Path $bad -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterFileInvalid*'
    }
}

Describe 'Node errors' {
    It 'writes NodeUnreachable with the node as target object, and binds any object with a Node property' {
        # Port 1 on loopback: nothing listens, so the connection is refused at once.
        $down = New-PiNode -Name down -Address 127.0.0.1 -Port 1
        [pscustomobject]@{ Node = $down } | Test-PiNode -ErrorVariable failures -ErrorAction SilentlyContinue | Out-Null
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NodeUnreachable,*'
        $failures[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $failures[0].TargetObject.Name | Should -Be 'down'
    }

    It 'refuses Set-PiSwap without -Disabled or -Enabled before it contacts a node' {
        $down = New-PiNode -Name down -Address 127.0.0.1 -Port 1
        { $down | Set-PiSwap -ErrorAction Stop } | Should -Throw -ErrorId 'SwapStateRequired,*'
    }

    It 'reports an unreachable node from Initialize-PiNode -WhatIf as NodeUnreachable and writes no result' {
        $down = New-PiNode -Name down -Address 127.0.0.1 -Port 1
        $output = $down | Initialize-PiNode -WhatIf -ErrorVariable failures -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NodeUnreachable,*'
        $failures[0].TargetObject.Name | Should -Be 'down'
    }
}

Describe 'Export-PiKubeconfig without a node to read' {
    BeforeAll {
        # Port 1 on loopback: nothing listens, so the connection is refused at once.
        $kubeYaml = @'
name: pester
nodes:
  - name: worker1
    address: 127.0.0.1
    role: worker
    ssh: { port: 1 }
  - name: cp1
    address: 127.0.0.2
    role: control-plane
    ssh: { port: 1 }
'@
        $kubeCluster = Join-Path $TestDrive 'kube-cluster.yaml'
        Set-Content -Path $kubeCluster -Value $kubeYaml
        $kubeconfig = Join-Path $TestDrive 'home/.kube/config'
    }

    It 'with -WhatIf reports the unreachable control-plane node, contacts no worker and writes nothing' {
        $output = Export-PiKubeconfig -Path $kubeCluster -KubeconfigPath $kubeconfig -WhatIf -ErrorVariable failures -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'NodeUnreachable,*'
        $failures[0].TargetObject.Name | Should -Be 'cp1'
        $failures[0].ToString() | Should -Match '^cp1: Connect: cannot reach 127\.0\.0\.2:1 over SSH\.'
        Join-Path $TestDrive 'home' | Should -Not -Exist
    }

    It 'refuses a -Server that is not an https URL before it contacts a node' {
        $err = { Export-PiKubeconfig -Path $kubeCluster -KubeconfigPath $kubeconfig -Server 'http://k8s.lan:6443' -SwitchContext -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidServer,*' -PassThru
        $err.Exception.Message | Should -Match "is not an https URL"
        Join-Path $TestDrive 'home' | Should -Not -Exist
    }

    It 'refuses several nodes none of which is a control-plane node' {
        $workers = @(New-PiNode -Name w1 -Address 127.0.0.1 -Port 1; New-PiNode -Name w2 -Address 127.0.0.1 -Port 1)
        { $workers | Export-PiKubeconfig -KubeconfigPath $kubeconfig -ErrorAction Stop } | Should -Throw -ErrorId 'NoControlPlaneNode,*'
        # One node given is the node, whatever its role (New-PiNode makes workers by default).
        Export-PiKubeconfig -Path $kubeCluster -Name worker1 -KubeconfigPath $kubeconfig -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        $failures[0].TargetObject.Name | Should -Be 'worker1'
    }

    It 'documents why it copies admin.conf''s credential instead of minting one' {
        $help = Get-Help Export-PiKubeconfig -Full | Out-String
        $help | Should -Match 'kubeadm kubeconfig user'
        $help | Should -Match 'kubeadm:cluster-admins'
        (Get-Command Export-PiKubeconfig).OutputType.Name | Should -Be 'PiCluster.Steps.Kubeconfig.KubeconfigResult'
    }
}

Describe 'Against the lab' -Tag Lab {
    BeforeAll {
        $lab = $env:PICLUSTER_LAB_CLUSTER
        if (-not $lab -or -not (Test-Path $lab)) { throw 'PICLUSTER_LAB_CLUSTER must name the cluster file of a running lab.' }
        $marker = "/tmp/pester-whatif-$PID"
    }

    It 'changes nothing with -WhatIf' {
        $output = Invoke-PiCommand -Path $lab -Name node1 -Command "touch $marker" -WhatIf
        $output | Should -BeNullOrEmpty
        $check = Invoke-PiCommand -Path $lab -Name node1 -Command "test -e $marker && echo present || echo absent"
        ($check | Out-String) | Should -Match 'absent'
    }

    It 'plans a step with -WhatIf and changes nothing' {
        $swapBefore = (Test-PiNode -Path $lab -Name node1 | Where-Object Check -EQ 'Swap').Passed
        Set-PiSwap -Path $lab -Name node1 -Disabled -WhatIf | Out-Null
        (Test-PiNode -Path $lab -Name node1 | Where-Object Check -EQ 'Swap').Passed | Should -Be $swapBefore
    }

    It 'chains results into the next cmdlet, once per node' {
        $outputs = @(Test-PiNode -Path $lab -Name node1 | Invoke-PiCommand -Command 'hostname')
        $outputs.Count | Should -Be 1
        $outputs[0].Node.Name | Should -Be 'node1'
        $outputs[0].ExitCode | Should -Be 0
    }

    It 'runs preflight checks with one result per check' {
        $results = @(Test-PiNode -Path $lab -Name node1)
        $results.Count | Should -BeGreaterThan 5
        $results | ForEach-Object { $_.Node.Name | Should -Be 'node1' }
    }
}
