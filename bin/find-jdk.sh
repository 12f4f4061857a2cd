# Finds a JDK 25 or newer and Maven for nnc's scripts; meant to be sourced, not run.
#
#   . bin/find-jdk.sh
#   nnc_find_jdk || exit 1     # sets and exports JAVA_HOME, sets NNC_JAVA (the java binary)
#   nnc_require_mvn || exit 1  # checks that mvn is on the PATH
#
# Search order: $JAVA_HOME, then `java` on the PATH, then the usual install folders
# (/usr/lib/jvm/*, /opt/java/*, /opt/jdk*, ~/.sdkman/candidates/java/*,
# /Library/Java/JavaVirtualMachines/*/Contents/Home). A JDK the user chose explicitly
# ($JAVA_HOME, then the PATH) wins when it is new enough; among the install folders the
# newest JDK >= 25 wins. Versions come from the JDK's `release` file (JAVA_VERSION), or,
# when that file is missing, from `java -XshowSettings:properties -version`.
# The functions print their errors to stderr and return 1; they never exit the caller.

NNC_MIN_JAVA_MAJOR=25

# Prints the full Java version of the JDK at home $1 (e.g. 25.0.3), or nothing if it is not a JDK.
nnc_jdk_version() {
    local home=$1 version=""
    [ -x "$home/bin/java" ] || return 1
    if [ -f "$home/release" ]; then
        version=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)
    fi
    if [ -z "$version" ]; then
        version=$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
            | sed -n 's/^ *java\.version = //p' | head -n 1)
    fi
    [ -n "$version" ] || return 1
    printf '%s\n' "$version"
}

# Prints the feature (major) number of a Java version string: 1.8.0_402 -> 8, 25.0.3 -> 25, 26-ea -> 26.
nnc_java_major() {
    local version=$1
    case $version in
        1.*) version=${version#1.} ;;
    esac
    version=${version%%[!0-9]*}
    printf '%s\n' "${version:-0}"
}

# Succeeds when the JDK at home $1 exists and is at least version NNC_MIN_JAVA_MAJOR.
nnc_is_usable_jdk() {
    local version
    version=$(nnc_jdk_version "$1") || return 1
    [ "$(nnc_java_major "$version")" -ge "$NNC_MIN_JAVA_MAJOR" ]
}

# Prints the JDK home that contains the java binary $1 (following symlinks).
nnc_home_of_java() {
    local java_bin
    java_bin=$(readlink -f "$1") || return 1
    dirname "$(dirname "$java_bin")"
}

# Prints the newest usable JDK home under the usual install folders, or fails.
nnc_newest_installed_jdk() {
    local candidate newest
    newest=$(
        for candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* "${HOME:-}"/.sdkman/candidates/java/* \
                         /Library/Java/JavaVirtualMachines/*/Contents/Home; do
            [ -d "$candidate" ] && nnc_is_usable_jdk "$candidate" || continue
            printf '%s\t%s\n' "$(nnc_jdk_version "$candidate")" "$candidate"
        done | sort -t "$(printf '\t')" -k1,1V | tail -n 1 | cut -f 2-
    )
    [ -n "$newest" ] || return 1
    printf '%s\n' "$newest"
}

# Finds a JDK >= 25; on success exports JAVA_HOME and sets NNC_JAVA, otherwise explains what to install.
nnc_find_jdk() {
    local home="" path_java path_home
    if [ -n "${JAVA_HOME:-}" ] && nnc_is_usable_jdk "$JAVA_HOME"; then
        home=$JAVA_HOME
    elif path_java=$(command -v java 2>/dev/null) && [ -n "$path_java" ] \
            && path_home=$(nnc_home_of_java "$path_java") && nnc_is_usable_jdk "$path_home"; then
        home=$path_home
    else
        home=$(nnc_newest_installed_jdk) || home=""
    fi
    if [ -z "$home" ]; then
        {
            echo "nnc: no JDK ${NNC_MIN_JAVA_MAJOR} or newer found."
            if [ -n "${JAVA_HOME:-}" ]; then
                echo "  JAVA_HOME=$JAVA_HOME is not a JDK ${NNC_MIN_JAVA_MAJOR}+ ($(nnc_jdk_version "$JAVA_HOME" || echo 'no java found there'))."
            fi
            echo "  Looked at \$JAVA_HOME, java on the PATH, /usr/lib/jvm, /opt/java, /opt/jdk*, ~/.sdkman and"
            echo "  /Library/Java/JavaVirtualMachines."
            echo "  Install one, for example:"
            echo "    Debian/Ubuntu (Adoptium repository): apt-get install temurin-25-jdk"
            echo "    any system: download JDK 25 from https://adoptium.net/"
            echo "  then set JAVA_HOME to its folder, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64"
        } >&2
        return 1
    fi
    export JAVA_HOME=$home
    NNC_JAVA=$home/bin/java
}

# Succeeds when Maven is on the PATH; otherwise explains how to install it.
nnc_require_mvn() {
    if ! command -v mvn >/dev/null 2>&1; then
        {
            echo "nnc: Maven (mvn) is needed to build nnc but is not on the PATH."
            echo "  Install it, for example: apt-get install maven   (or see https://maven.apache.org/install.html)"
        } >&2
        return 1
    fi
}
