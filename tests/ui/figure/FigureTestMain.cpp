#define CATCH_CONFIG_RUNNER

#include <QGuiApplication>

#include <catch2/catch.hpp>

// Fonts need a QGuiApplication; the offscreen platform lets the tests run without a display.
int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Qt gets no arguments, so that it cannot take any of Catch's.
    int qtArgc = 1;
    QGuiApplication app(qtArgc, argv);
    return Catch::Session().run(argc, argv);
}
