"""Train model 2, the experts' tutorial CNN, on distorted MNIST and save it.

    python create_model_2.py              # the shipped model
    python create_model_2.py --evaluate   # test accuracy of the saved model
"""
from digits import train_cli

DEFAULTS = dict(epochs=12, batch_size=128, learning_rate=0.002, warmup=0.03,
                dropout=0.5, label_smoothing=0.1, augment=True, average=0.999)

if __name__ == '__main__':
    train_cli.main(2, DEFAULTS)
